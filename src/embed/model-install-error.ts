/** Why `models install` failed, in one line that says what to do. */
export class ModelInstallError extends Error {
  override name = 'ModelInstallError';
}
