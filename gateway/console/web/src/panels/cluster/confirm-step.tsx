import type { ReactNode } from 'react';

/**
 * The inline "are you sure" of a destructive action (no window.confirm): what will happen, a
 * danger button that does it and a cancel button.
 */
export function ConfirmStep({ children, confirmLabel, onConfirm, onCancel, testId }: { children: ReactNode; confirmLabel: string; onConfirm: () => void; onCancel: () => void; testId: string }) {
  return (
    <div className="cluster-confirm" role="alertdialog" data-testid={`${testId}-confirm-step`}>
      <span className="grow">{children}</span>
      <button type="button" className="danger" data-testid={`${testId}-confirm`} onClick={onConfirm}>
        {confirmLabel}
      </button>
      <button type="button" className="secondary" data-testid={`${testId}-cancel`} onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
