import type { ApiColumn, ApiModel, ApiTable } from '../api-model/api-model.js';
import { OPERATOR_DOCS, operandType, operatorsFor } from '../api-model/comparison-operators.js';

/**
 * Renders the generated part of the data subgraph's SDL from the API model: appended to the
 * static `schema/data.graphql`. Plain text, so that what the gateway composes can be read.
 */
export function renderGeneratedSdl(model: ApiModel, limits: { defaultLimit: number; maxLimit: number }): string {
  const out: string[] = [];
  renderComparisons(model, out);
  for (const e of model.enums) {
    out.push(`enum ${e.typeName} {\n${e.values.map((v) => `  ${doc(`PostgreSQL label ${v.label}`)}\n  ${v.name}`).join('\n')}\n}`);
  }
  for (const table of model.tables) renderTable(table, out, limits);
  if (model.tables.length > 0) {
    out.push(`extend type Query {\n${model.tables.flatMap((t) => queryFields(t, limits)).join('\n')}\n}`);
    out.push(`type Mutation {\n${model.tables.flatMap(mutationFields).join('\n')}\n}`);
  }
  return out.join('\n\n');
}

function renderComparisons(model: ApiModel, out: string[]): void {
  const seen = new Set<string>();
  for (const column of model.tables.flatMap((t) => t.columns)) {
    if (seen.has(column.comparisonType)) continue;
    seen.add(column.comparisonType);
    const fields = operatorsFor(column).map((op) => `  ${doc(OPERATOR_DOCS[op])}\n  ${op}: ${operandType(op, column.graphqlType, column.type.isArray)}`);
    out.push(`${doc(`Conditions on a ${column.type.isArray ? `[${column.graphqlType}]` : column.graphqlType} column; several conditions must all hold.`)}\ninput ${column.comparisonType} {\n${fields.join('\n')}\n}`);
  }
}

function renderTable(table: ApiTable, out: string[], limits: { defaultLimit: number; maxLimit: number }): void {
  const n = table.names;
  const tenancy = table.tenantColumn
    ? `Tenant table: each caller sees and writes only its tenant's rows (${table.tenantColumn.sqlName}).`
    : 'Reference table: readable by every role, writable by admins only.';
  const description = [table.catalog.comment, `Rows of \`${table.catalog.qualifiedName}\`. ${tenancy}`].filter(Boolean).join('\n\n');
  const key = table.primaryKey ? ` @key(fields: ${JSON.stringify(table.primaryKey.map((c) => c.field).join(' '))})` : '';
  const fields = [
    ...table.columns.map((c) => `  ${c.comment ? `${doc(c.comment)}\n  ` : ''}${c.field}: ${valueType(c)}${c.notNull ? '!' : ''}`),
    ...table.relations.flatMap((r) => {
      const target = r.target.names;
      if (r.kind === 'object') return [`  ${doc(`The ${target.type} this row refers to (${r.constraint}).`)}\n  ${r.field}: ${target.type}`];
      return [
        `  ${doc(`${target.type} rows referring to this row (${r.constraint}).`)}\n  ${r.field}${listArgs(r.target, limits)}: [${target.type}!]!`,
        `  ${doc(`Aggregates over ${r.field}.`)}\n  ${r.aggregateField}(where: ${target.boolExp}): ${target.aggregateType}!`,
      ];
    }),
  ];
  out.push(`${doc(description)}\ntype ${n.type}${key} {\n${fields.join('\n')}\n}`);

  const numeric = table.columns.filter((c) => c.numeric);
  const ordered = table.columns.filter((c) => c.ordered);
  const aggregateFields = [`  count: Int!`];
  if (numeric.length > 0) {
    out.push(`type ${n.sumFields} {\n${numeric.map((c) => `  ${c.field}: ${sumType(c)}`).join('\n')}\n}`);
    out.push(`type ${n.avgFields} {\n${numeric.map((c) => `  ${c.field}: ${avgType(c)}`).join('\n')}\n}`);
    aggregateFields.push(`  sum: ${n.sumFields}!`, `  avg: ${n.avgFields}!`);
  }
  if (ordered.length > 0) {
    out.push(`type ${n.minFields} {\n${ordered.map((c) => `  ${c.field}: ${c.graphqlType}`).join('\n')}\n}`);
    out.push(`type ${n.maxFields} {\n${ordered.map((c) => `  ${c.field}: ${c.graphqlType}`).join('\n')}\n}`);
    aggregateFields.push(`  min: ${n.minFields}!`, `  max: ${n.maxFields}!`);
  }
  out.push(`${doc(`Aggregates over ${n.type} rows (null where no row has a value).`)}\ntype ${n.aggregateType} {\n${aggregateFields.join('\n')}\n}`);

  const where = [
    `  and: [${n.boolExp}!]`,
    `  or: [${n.boolExp}!]`,
    `  not: ${n.boolExp}`,
    ...table.columns.map((c) => `  ${c.field}: ${c.comparisonType}`),
    ...table.relations.map((r) => `  ${doc(r.kind === 'object' ? `The referred ${r.target.names.type} matches.` : `Some ${r.target.names.type} row matches.`)}\n  ${r.field}: ${r.target.names.boolExp}`),
  ];
  out.push(`${doc(`Filter on ${n.type} rows: every condition given must hold.`)}\ninput ${n.boolExp} {\n${where.join('\n')}\n}`);

  const orderBy = [
    ...table.columns.filter((c) => !c.type.isArray && c.type.kind !== 'json').map((c) => `  ${c.field}: OrderDirection`),
    ...table.relations.filter((r) => r.kind === 'object').map((r) => `  ${r.field}: ${r.target.names.orderBy}`),
  ];
  out.push(`${doc('Sort key. Give one column per list entry: within one entry, columns apply in table order.')}\ninput ${n.orderBy} {\n${orderBy.join('\n')}\n}`);

  const writable = table.columns.filter((c) => !c.readOnly);
  const inputFields = writable.map((c) => `  ${c.field}: ${valueType(c)}`);
  const insertDoc = table.tenantColumn ? ` ${table.tenantColumn.field} defaults to the caller's tenant.` : '';
  out.push(`${doc(`A ${n.type} to insert; columns left out take their default.${insertDoc}`)}\ninput ${n.insertInput} {\n${inputFields.join('\n') || '  _: Boolean'}\n}`);
  out.push(`${doc(`New values for the matched ${n.type} rows.`)}\ninput ${n.setInput} {\n${inputFields.join('\n') || '  _: Boolean'}\n}`);
  out.push(`enum ${n.updateColumnEnum} {\n${writable.map((c) => `  ${c.field}`).join('\n') || '  _'}\n}`);
  if (n.constraintEnum && n.onConflict) {
    out.push(`enum ${n.constraintEnum} {\n${[...table.constraintsByValue].map(([value, name]) => `  ${doc(`unique constraint ${name}`)}\n  ${value}`).join('\n')}\n}`);
    out.push(
      `${doc('Upsert: on a conflict with `constraint`, update `updateColumns` from the new row (nothing: keep the existing row), where `where` holds.')}\ninput ${n.onConflict} {\n  constraint: ${n.constraintEnum}!\n  updateColumns: [${n.updateColumnEnum}!]! = []\n  where: ${n.boolExp}\n}`,
    );
  }
  out.push(`type ${n.mutationResponse} {\n  ${doc('Rows inserted, updated or deleted.')}\n  affectedRows: Int!\n  ${doc('Those rows, after the change (before it, for delete).')}\n  returning: [${n.type}!]!\n}`);
}

function queryFields(table: ApiTable, limits: { defaultLimit: number; maxLimit: number }): string[] {
  const n = table.names;
  const fields = [`  ${doc(`${n.type} rows.`)}\n  ${n.list}${listArgs(table, limits)}: [${n.type}!]!`];
  if (n.byPk && table.primaryKey) {
    fields.push(`  ${doc(`One ${n.type} by primary key, or null.`)}\n  ${n.byPk}(${table.primaryKey.map((c) => `${c.field}: ${c.graphqlType}!`).join(', ')}): ${n.type}`);
  }
  fields.push(`  ${doc(`Aggregates over ${n.type} rows.`)}\n  ${n.aggregate}(where: ${n.boolExp}): ${n.aggregateType}!`);
  return fields;
}

function mutationFields(table: ApiTable): string[] {
  const n = table.names;
  const who = table.tenantColumn ? 'Writer or admin; within the caller\'s tenant.' : 'Admin only.';
  const onConflict = n.onConflict ? `, onConflict: ${n.onConflict}` : '';
  return [
    `  ${doc(`Inserts ${n.type} rows, all or none. ${who}`)}\n  ${n.insert}(objects: [${n.insertInput}!]!${onConflict}): ${n.mutationResponse}!`,
    `  ${doc(`Updates the ${n.type} rows matching \`where\`, all or none. ${who}`)}\n  ${n.update}(where: ${n.boolExp}!, set: ${n.setInput}!): ${n.mutationResponse}!`,
    `  ${doc(`Deletes the ${n.type} rows matching \`where\`, all or none. ${who}`)}\n  ${n.delete}(where: ${n.boolExp}!): ${n.mutationResponse}!`,
  ];
}

function listArgs(table: ApiTable, limits: { defaultLimit: number; maxLimit: number }): string {
  const n = table.names;
  return `(where: ${n.boolExp}, orderBy: [${n.orderBy}!], ${doc(`At most ${limits.maxLimit}.`)} limit: Int = ${limits.defaultLimit}, offset: Int = 0)`;
}

function valueType(column: ApiColumn): string {
  return column.type.isArray ? `[${column.graphqlType}]` : column.graphqlType;
}

/** sum(int2/int4) is bigint, sum(int8) and sum(numeric) are numeric: never a lossy Float. */
function sumType(column: ApiColumn): string {
  if (column.type.kind === 'int') return 'BigInt';
  if (column.type.kind === 'float') return 'Float';
  return 'Decimal';
}

function avgType(column: ApiColumn): string {
  return column.type.kind === 'float' ? 'Float' : 'Decimal';
}

function doc(text: string): string {
  return JSON.stringify(text);
}
