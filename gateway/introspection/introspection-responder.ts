import { execute, getOperationAST, Kind, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { DirectResponse } from '../../src/http/graphql-http-server.js';

const CACHE_LIMIT = 100;

/**
 * Answers introspection queries from the API schema plus the gateway's Subscription type, so that
 * Apollo Sandbox (and codegen tools) see the subscriptions @apollo/gateway cannot serve. Only an
 * operation made entirely of `__schema` / `__type` / `__typename` is answered here.
 */
export class IntrospectionResponder {
  private schema: GraphQLSchema | null = null;
  private readonly documents = new Map<string, DocumentNode | null>();

  /** `validationRules`: the gateway's own (operation limits), as Apollo applies them. */
  constructor(private readonly validationRules: ValidationRule[]) {}

  update(schema: GraphQLSchema): void {
    this.schema = schema;
    this.documents.clear();
  }

  answer(body: unknown): DirectResponse | null {
    const request = body as { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown } | undefined;
    if (!this.schema || !request || typeof request.query !== 'string' || request.extensions !== undefined) return null;
    // Every POST passes here: only what can be introspection is parsed.
    if (!/__schema|__type\s*\(/.test(request.query)) return null;
    const document = this.introspectionDocument(request.query);
    if (!document) return null;
    const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
    if (getOperationAST(document, operationName)?.operation !== 'query') return null;
    const result = execute({ schema: this.schema, document, operationName, variableValues: request.variables as Record<string, unknown> | undefined });
    if ('then' in result) return null;
    return { status: 200, body: JSON.stringify(result) };
  }

  /** The parsed document when it is valid and introspection only, else null (cached). */
  private introspectionDocument(query: string): DocumentNode | null {
    if (this.documents.has(query)) return this.documents.get(query)!;
    let document: DocumentNode | null = null;
    try {
      const parsed = parse(query);
      const rootFieldsOnly = parsed.definitions.every(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION || (d.kind === Kind.OPERATION_DEFINITION && d.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'))),
      );
      if (rootFieldsOnly && validate(this.schema!, parsed, [...specifiedRules, ...this.validationRules]).length === 0) document = parsed;
    } catch {
      document = null;
    }
    if (this.documents.size >= CACHE_LIMIT) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(query, document);
    return document;
  }
}
