import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * The data subgraph's custom scalars. Values from PostgreSQL arrive already in their wire form
 * (the SQL casts int8 and numeric to text); inputs are checked here so that a malformed value is a
 * BAD_USER_INPUT before any SQL runs, and handed to PostgreSQL as text.
 */

const INTEGER = /^-?\d{1,19}$/;
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^(NaN|-?Infinity)$/;
const DATE = /^\d{4,}-\d{2}-\d{2}$|^-?infinity$/;
const DATETIME = /^\d{4,}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$|^-?infinity$/i;
export const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

function invalid(type: string, value: unknown): GraphQLError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value);
  return new GraphQLError(`${type} cannot represent ${shown}`, { extensions: { code: 'BAD_USER_INPUT' } });
}

function stringScalar(name: string, description: string, check: (text: string) => boolean, acceptNumbers: boolean): GraphQLScalarType {
  const parse = (value: unknown): string => {
    if (typeof value === 'string' && check(value)) return value;
    if (acceptNumbers && typeof value === 'number' && Number.isFinite(value)) {
      const text = Number.isInteger(value) ? BigInt(value).toString() : String(value);
      if (check(text)) return text;
    }
    throw invalid(name, value);
  };
  return new GraphQLScalarType({
    name,
    description,
    serialize: (value) => {
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'bigint') return String(value);
      throw invalid(name, value);
    },
    parseValue: parse,
    parseLiteral: (ast: ValueNode) => {
      if (ast.kind === Kind.STRING) return parse(ast.value);
      if (acceptNumbers && (ast.kind === Kind.INT || ast.kind === Kind.FLOAT) && check(ast.value)) return ast.value;
      throw invalid(name, ast.kind === Kind.INT || ast.kind === Kind.FLOAT ? ast.value : ast.kind);
    },
  });
}

/** A 64-bit integer in decimal text (BigInt inputs, bigint tenant keys). */
export function isInt8(text: string): boolean {
  if (!INTEGER.test(text)) return false;
  const value = BigInt(text);
  return value >= INT8_MIN && value <= INT8_MAX;
}

export const BigIntScalar = stringScalar('BigInt', 'A 64-bit integer, as a string.', isInt8, true);
export const DecimalScalar = stringScalar('Decimal', 'An exact decimal number, as a string.', (t) => DECIMAL.test(t) && t.length <= 1000, true);
export const DateScalar = stringScalar('Date', 'A calendar date, ISO 8601.', (t) => DATE.test(t), false);
export const DateTimeScalar = stringScalar('DateTime', 'A point in time, ISO 8601.', (t) => DATETIME.test(t), false);
export const UuidScalar = stringScalar('UUID', 'A UUID.', (t) => UUID.test(t), false);

export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: function literal(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
    switch (ast.kind) {
      case Kind.STRING:
      case Kind.BOOLEAN:
        return ast.value;
      case Kind.INT:
      case Kind.FLOAT:
        return Number(ast.value);
      case Kind.NULL:
        return null;
      case Kind.LIST:
        return ast.values.map((v) => literal(v, variables));
      case Kind.OBJECT:
        return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value, variables)]));
      case Kind.VARIABLE:
        return variables?.[ast.name.value];
      default:
        throw invalid('JSON', ast.kind);
    }
  },
});

export const DATA_SCALARS = {
  BigInt: BigIntScalar,
  Decimal: DecimalScalar,
  Date: DateScalar,
  DateTime: DateTimeScalar,
  JSON: JsonScalar,
  UUID: UuidScalar,
};
