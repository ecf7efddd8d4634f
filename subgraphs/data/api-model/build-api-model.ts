import type { Catalog, CatalogColumn, CatalogTable, ValueKind } from '../catalog/catalog-model.js';
import type { ApiColumn, ApiEnum, ApiModel, ApiRelation, ApiTable, ApiTableNames } from './api-model.js';
import { byColumnsSuffix, camelName, enumValueName, isValidGraphqlName, pascalName, relationNameFromColumn, singularName, tableFieldName, tableTypeName } from './naming.js';

export interface ApiModelOptions {
  /** The first exposed schema: its tables get unprefixed names. */
  defaultSchema: string;
  /** Type names already taken: GraphQL's and federation's own, the static data SDL, the other subgraphs. */
  reservedTypes: ReadonlySet<string>;
  /** Query / Mutation / Subscription fields of the static data SDL and the other subgraphs. */
  reservedRootFields: ReadonlySet<string>;
}

const SCALAR_BY_KIND: Record<Exclude<ValueKind, 'enum'>, string> = {
  int: 'Int',
  bigint: 'BigInt',
  float: 'Float',
  decimal: 'Decimal',
  boolean: 'Boolean',
  string: 'String',
  uuid: 'UUID',
  date: 'Date',
  datetime: 'DateTime',
  json: 'JSON',
  jsonb: 'JSON',
};

/** Comparison input type of a scalar kind (`where: { col: <this> }`). */
export const COMPARISON_BY_KIND: Record<Exclude<ValueKind, 'enum'>, string> = {
  int: 'IntComparison',
  bigint: 'BigIntComparison',
  float: 'FloatComparison',
  decimal: 'DecimalComparison',
  boolean: 'BooleanComparison',
  string: 'StringComparison',
  uuid: 'UUIDComparison',
  date: 'DateComparison',
  datetime: 'DateTimeComparison',
  json: 'JSONComparison',
  jsonb: 'JSONBComparison',
};

const ORDERED: ReadonlySet<ValueKind> = new Set(['int', 'bigint', 'float', 'decimal', 'string', 'date', 'datetime', 'enum']);
const NUMERIC: ReadonlySet<ValueKind> = new Set(['int', 'bigint', 'float', 'decimal']);

/**
 * Names every table, column, relation and enum of the catalog for GraphQL. A table whose names
 * would collide with a name already taken is left out (and reported in `skipped`) rather than
 * breaking the schema or the supergraph composition.
 */
export function buildApiModel(catalog: Catalog, options: ApiModelOptions): ApiModel {
  const usedTypes = new Set(options.reservedTypes);
  const usedRootFields = new Set(options.reservedRootFields);
  const skipped: ApiModel['skipped'] = [];
  const enums = buildEnums(catalog, options, usedTypes);

  const tables: ApiTable[] = [];
  for (const table of catalog.tables) {
    const built = buildTable(table, options, enums, usedTypes, usedRootFields);
    if (typeof built === 'string') skipped.push({ table: table.qualifiedName, reason: built });
    else tables.push(built);
  }
  const byQualifiedName = new Map(tables.map((t) => [t.catalog.qualifiedName, t]));
  for (const table of tables) addRelations(table, byQualifiedName);

  return {
    mode: catalog.mode,
    fingerprint: catalog.fingerprint,
    tables,
    tablesByType: new Map(tables.map((t) => [t.names.type, t])),
    enums: [...new Set(enums.values())].filter((e): e is ApiEnum => e !== null),
    skipped,
  };
}

/** One GraphQL enum per PostgreSQL enum type in use; null where its labels cannot all be named. */
function buildEnums(catalog: Catalog, options: ApiModelOptions, usedTypes: Set<string>): Map<string, ApiEnum | null> {
  const result = new Map<string, ApiEnum | null>();
  for (const column of catalog.tables.flatMap((t) => t.columns)) {
    const enumType = column.type.enumType;
    if (!enumType) continue;
    const key = `${enumType.schema}.${enumType.name}`;
    if (result.has(key)) continue;
    const values = enumType.labels.map((label) => ({ name: enumValueName(label), label }));
    const distinct = new Set(values.map((v) => v.name)).size === values.length && values.length > 0;
    const base = enumType.schema === options.defaultSchema ? pascalName(enumType.name) : pascalName(`${enumType.schema}_${enumType.name}`);
    const typeName = [base, `${base}Enum`].find((n) => !usedTypes.has(n) && !usedTypes.has(`${n}Comparison`) && !usedTypes.has(`${n}ListComparison`));
    if (!distinct || !typeName) {
      result.set(key, null);
      continue;
    }
    for (const name of [typeName, `${typeName}Comparison`, `${typeName}ListComparison`]) usedTypes.add(name);
    result.set(key, {
      typeName,
      comparisonType: `${typeName}Comparison`,
      values,
      labelOf: new Map(values.map((v) => [v.name, v.label])),
      renamed: values.some((v) => v.name !== v.label),
    });
  }
  return result;
}

function buildTable(
  table: CatalogTable,
  options: ApiModelOptions,
  enums: Map<string, ApiEnum | null>,
  usedTypes: Set<string>,
  usedRootFields: Set<string>,
): ApiTable | string {
  const typeName = [tableTypeName(table, options.defaultSchema), tableTypeName(table, options.defaultSchema, true)].find((n) => !usedTypes.has(n));
  if (!typeName || !isValidGraphqlName(typeName)) return `its type name ${tableTypeName(table, options.defaultSchema)} is already taken`;
  const list = tableFieldName(table, options.defaultSchema);
  const upper = list.charAt(0).toUpperCase() + list.slice(1);
  const hasPk = table.primaryKey !== null;
  const names: ApiTableNames = {
    type: typeName,
    list,
    byPk: hasPk ? `${list}ByPk` : null,
    aggregate: `${list}Aggregate`,
    aggregateType: `${typeName}Aggregate`,
    insert: `insert${upper}`,
    update: `update${upper}`,
    delete: `delete${upper}`,
    boolExp: `${typeName}BoolExp`,
    orderBy: `${typeName}OrderBy`,
    insertInput: `${typeName}InsertInput`,
    setInput: `${typeName}SetInput`,
    onConflict: table.uniqueKeys.length > 0 ? `${typeName}OnConflict` : null,
    constraintEnum: table.uniqueKeys.length > 0 ? `${typeName}Constraint` : null,
    updateColumnEnum: `${typeName}UpdateColumn`,
    mutationResponse: `${typeName}MutationResponse`,
    sumFields: `${typeName}SumFields`,
    avgFields: `${typeName}AvgFields`,
    minFields: `${typeName}MinFields`,
    maxFields: `${typeName}MaxFields`,
  };
  const rootFields = [names.list, names.byPk, names.aggregate, names.insert, names.update, names.delete].filter((n): n is string => n !== null);
  const typeNames = [names.type, names.aggregateType, names.boolExp, names.orderBy, names.insertInput, names.setInput, names.onConflict, names.constraintEnum,
    names.updateColumnEnum, names.mutationResponse, names.sumFields, names.avgFields, names.minFields, names.maxFields].filter((n): n is string => n !== null);
  if (!isValidGraphqlName(list)) return `its name cannot be written as a GraphQL field`;
  const takenField = rootFields.find((n) => usedRootFields.has(n));
  if (takenField) return `its field ${takenField} is already taken`;
  const takenType = typeNames.find((n) => usedTypes.has(n));
  if (takenType) return `its type ${takenType} is already taken`;

  const columns: ApiColumn[] = [];
  const fields = new Set<string>();
  for (const column of table.columns) {
    const field = camelName(column.name);
    if (!isValidGraphqlName(field) || fields.has(field)) continue; // unreachable column: left out
    fields.add(field);
    columns.push(toApiColumn(column, field, enums));
  }
  const columnsBySql = new Map(columns.map((c) => [c.sqlName, c]));
  const primaryKey = table.primaryKey ? table.primaryKey.columns.map((name) => columnsBySql.get(name)) : null;
  if (primaryKey && primaryKey.some((c) => c === undefined)) return 'a primary-key column cannot be named in GraphQL';
  const tenantColumn = table.tenancy.kind === 'tenant' ? (columnsBySql.get(table.tenancy.column) ?? null) : null;
  if (table.tenancy.kind === 'tenant' && !tenantColumn) return 'its tenant column cannot be named in GraphQL';

  const constraintsByValue = new Map<string, string>();
  for (const key of table.uniqueKeys) {
    const value = enumValueName(key.name);
    if (!constraintsByValue.has(value)) constraintsByValue.set(value, key.name);
  }

  for (const n of rootFields) usedRootFields.add(n);
  for (const n of typeNames) usedTypes.add(n);
  return {
    catalog: table,
    names,
    columns,
    columnsByField: new Map(columns.map((c) => [c.field, c])),
    columnsBySql,
    relations: [],
    relationsByField: new Map(),
    primaryKey: primaryKey as ApiColumn[] | null,
    tenantColumn,
    constraintsByValue,
  };
}

function toApiColumn(column: CatalogColumn, field: string, enums: Map<string, ApiEnum | null>): ApiColumn {
  let type = column.type;
  let graphqlType: string;
  let comparisonType: string;
  const enumType = type.enumType ? enums.get(`${type.enumType.schema}.${type.enumType.name}`) : undefined;
  const enumValues = type.kind === 'enum' && enumType ? enumType : null;
  if (type.kind === 'enum' && enumType) {
    graphqlType = enumType.typeName;
    comparisonType = type.isArray ? `${enumType.typeName}ListComparison` : enumType.comparisonType;
  } else {
    // An enum whose labels cannot all be GraphQL names travels as its text.
    if (type.kind === 'enum') type = { ...type, kind: 'string', enumType: undefined };
    const kind = type.kind as Exclude<ValueKind, 'enum'>;
    graphqlType = SCALAR_BY_KIND[kind];
    comparisonType = type.isArray ? `${graphqlType}ListComparison` : COMPARISON_BY_KIND[kind];
  }
  // Types we only know by their text form are compared in SQL but not ordered by min/max.
  const ordered = !type.isArray && ORDERED.has(type.kind) && !(type.kind === 'string' && type.castToText);
  return {
    field,
    sqlName: column.name,
    type,
    graphqlType,
    comparisonType,
    notNull: column.notNull,
    readOnly: column.readOnly,
    comment: column.comment,
    ordered,
    numeric: !type.isArray && NUMERIC.has(type.kind),
    enumValues,
    catalog: column,
  };
}

/**
 * Relations from foreign keys, both ways. Many-to-one: named after the referencing column
 * (`department_id` → `department`) or the referenced table (`university`); one-to-many: the
 * referencing table's name (`students`), singular when the key is unique (one-to-one). A name
 * already used on the type gets a `By<Columns>` suffix.
 */
function addRelations(table: ApiTable, byQualifiedName: Map<string, ApiTable>): void {
  const used = new Set(table.columns.map((c) => c.field));
  const add = (relation: ApiRelation) => {
    table.relations.push(relation);
    table.relationsByField.set(relation.field, relation);
    used.add(relation.field);
    if (relation.aggregateField) used.add(relation.aggregateField);
  };
  const pick = (candidates: string[], aggregate: boolean) =>
    candidates.find((name) => isValidGraphqlName(name) && !used.has(name) && !(aggregate && used.has(`${name}Aggregate`)));

  for (const fk of table.catalog.foreignKeys) {
    const target = byQualifiedName.get(fk.references);
    if (!target) continue;
    const meaningful = fk.columns.filter((c) => c !== table.tenantColumn?.sqlName);
    const fromColumn = meaningful.length === 1 ? relationNameFromColumn(meaningful[0]!) : null;
    const fromTable = camelName(singularName(target.catalog.name));
    const field = pick([fromColumn, fromTable, `${fromTable}${byColumnsSuffix(fk.columns)}`].filter((n): n is string => n !== null), false);
    if (!field) continue;
    add({ field, kind: 'object', aggregateField: null, target, joins: fk.columns.map((c, i) => ({ source: c, target: fk.referencedColumns[i]! })), constraint: fk.name });
  }

  for (const source of byQualifiedName.values()) {
    for (const fk of source.catalog.foreignKeys) {
      if (fk.references !== table.catalog.qualifiedName) continue;
      const unique = source.catalog.uniqueKeys.some((k) => k.columns.length === fk.columns.length && k.columns.every((c) => fk.columns.includes(c)));
      const base = unique ? camelName(singularName(source.catalog.name)) : camelName(source.catalog.name);
      const field = pick([base, `${base}${byColumnsSuffix(fk.columns)}`], !unique);
      if (!field) continue;
      add({
        field,
        kind: unique ? 'object' : 'array',
        aggregateField: unique ? null : `${field}Aggregate`,
        target: source,
        joins: fk.referencedColumns.map((c, i) => ({ source: c, target: fk.columns[i]! })),
        constraint: fk.name,
      });
    }
  }
}
