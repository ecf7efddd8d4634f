import type { ReactNode } from 'react';

/**
 * The inline "are you sure" of a destructive action (no window.confirm): what will happen, a
 * danger button that does it and a cancel button. Test ids: `<testId>-confirm-step`,
 * `<testId>-confirm`, `<testId>-cancel`.
 */
export function ConfirmStep({ children, confirmLabel, onConfirm, onCancel, testId, pending = false }: { children: ReactNode; confirmLabel: string; onConfirm: () => void; onCancel: () => void; testId: string; pending?: boolean }) {
  return (
    <div className="confirm-step" role="alertdialog" data-testid={`${testId}-confirm-step`}>
      <span className="grow">{children}</span>
      <button type="button" className="danger" data-testid={`${testId}-confirm`} disabled={pending} onClick={onConfirm}>
        {confirmLabel}
      </button>
      <button type="button" className="secondary" data-testid={`${testId}-cancel`} disabled={pending} onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
