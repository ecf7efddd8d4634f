import inflection from 'inflection';

/**
 * Every naming rule of the generated API, in one place: SQL snake_case becomes GraphQL camelCase
 * (fields) and PascalCase (types); table types are singular, list fields keep the table's name.
 */

const VALID_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Replaces what GraphQL names cannot hold; a leading digit gets an underscore. */
function sanitize(sqlName: string): string {
  const cleaned = sqlName.replace(/[^_0-9A-Za-z]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** `first_name` → `firstName` */
export function camelName(sqlName: string): string {
  return inflection.camelize(sanitize(sqlName), true);
}

/** `student_courses` → `StudentCourses` */
export function pascalName(sqlName: string): string {
  const camel = camelName(sqlName);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/** `student_courses` → `student_course` (the last word only, as English plurals go). */
export function singularName(sqlName: string): string {
  const words = sqlName.split('_');
  const last = words.pop() ?? '';
  return [...words, inflection.singularize(last)].join('_');
}

/** The type name of a table's rows: `universities` → `University`; other schemas are prefixed. */
export function tableTypeName(table: { schema: string; name: string }, defaultSchema: string, plural = false): string {
  const base = pascalName(plural ? table.name : singularName(table.name));
  return table.schema === defaultSchema ? base : `${pascalName(table.schema)}${base}`;
}

/** The list field of a table: `students`, or `salesOrders` for `sales.orders`. */
export function tableFieldName(table: { schema: string; name: string }, defaultSchema: string): string {
  return table.schema === defaultSchema ? camelName(table.name) : camelName(`${table.schema}_${table.name}`);
}

/** `department_id` → `department`: the name of a many-to-one relationship through that column. */
export function relationNameFromColumn(column: string): string | null {
  const match = /^(.+)_id$/i.exec(column);
  return match?.[1] ? camelName(match[1]) : null;
}

/** `…By<Column>And<Column>` disambiguation suffix. */
export function byColumnsSuffix(columns: string[]): string {
  return `By${columns.map(pascalName).join('And')}`;
}

/** A PostgreSQL enum label as a GraphQL enum value: kept when valid, otherwise UPPER_SNAKE. */
export function enumValueName(label: string): string {
  if (VALID_NAME.test(label) && !['true', 'false', 'null'].includes(label)) return label;
  const upper = sanitize(label.trim()).toUpperCase().replace(/_+/g, '_');
  return upper === '' || upper === '_' ? '_EMPTY' : upper;
}

export function isValidGraphqlName(name: string): boolean {
  return VALID_NAME.test(name) && !name.startsWith('__');
}
