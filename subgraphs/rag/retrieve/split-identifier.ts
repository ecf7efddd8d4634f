/**
 * The words of an SQL identifier, lower-case: snake_case, camelCase, PascalCase and digits split
 * (`Treatment_Types` → treatment types, `dogID` → dog id, `HTTPServer2` → http server 2).
 * Nothing is dropped or expanded: abbreviations (`yn`, `gpa`, `id`) stay as written.
 */
export function splitIdentifier(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([a-zA-Z])(\d)/g, '$1 $2')
    .replace(/(\d)([a-zA-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/** An identifier as words (`student_id` → "student id"). */
export function identifierPhrase(name: string): string {
  return splitIdentifier(name).join(' ');
}
