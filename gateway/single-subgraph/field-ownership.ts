import { Kind, parse, type ConstDirectiveNode, type ConstValueNode, type DocumentNode } from 'graphql';

/**
 * Which subgraphs can resolve each field on their own, read from the supergraph's join
 * directives: a field resolves in subgraph S when it has `@join__field(graph: S)` that is not
 * external, has no `requires`, is not overridden away and takes no context arguments — or, with
 * no `@join__field` at all, when its type has `@join__type(graph: S)`.
 */
export class FieldOwnership {
  private readonly owners = new Map<string, ReadonlySet<string>>();
  private readonly typeOwners = new Map<string, ReadonlySet<string>>();

  constructor(supergraphSdl: string) {
    const document = parse(supergraphSdl);
    const graphNames = graphNamesOf(document);
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
      const type = definition.name.value;
      const typeGraphs = new Set<string>();
      for (const directive of definition.directives ?? []) {
        if (directive.name.value !== 'join__type') continue;
        const graph = graphNames.get(enumArgument(directive, 'graph') ?? '');
        if (graph) typeGraphs.add(graph);
      }
      this.typeOwners.set(type, typeGraphs);
      for (const field of definition.fields ?? []) {
        const joins = (field.directives ?? []).filter((d) => d.name.value === 'join__field');
        if (joins.length === 0) {
          this.owners.set(`${type}.${field.name.value}`, typeGraphs);
          continue;
        }
        const graphs = new Set<string>();
        for (const join of joins) {
          const graph = graphNames.get(enumArgument(join, 'graph') ?? '');
          const blocked = ['external', 'usedOverridden'].some((flag) => booleanArgument(join, flag)) || ['requires', 'contextArguments', 'overrideLabel'].some((arg) => hasArgument(join, arg));
          if (graph && !blocked) graphs.add(graph);
        }
        this.owners.set(`${type}.${field.name.value}`, graphs);
      }
    }
  }

  /** Subgraphs that can resolve `type.field` alone (empty when unknown). */
  resolvers(type: string, field: string): ReadonlySet<string> {
    return this.owners.get(`${type}.${field}`) ?? EMPTY;
  }

  /** Subgraphs that define `type`. */
  definers(type: string): ReadonlySet<string> {
    return this.typeOwners.get(type) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/** `enum join__Graph { DATA @join__graph(name: "data", url: "…") … }` → DATA → data */
function graphNamesOf(document: DocumentNode): Map<string, string> {
  const names = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const directive = value.directives?.find((d) => d.name.value === 'join__graph');
      const name = directive?.arguments?.find((a) => a.name.value === 'name')?.value;
      if (name?.kind === Kind.STRING) names.set(value.name.value, name.value);
    }
  }
  return names;
}

function argument(directive: ConstDirectiveNode, name: string): ConstValueNode | undefined {
  return directive.arguments?.find((a) => a.name.value === name)?.value;
}

function enumArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.ENUM ? value.value : undefined;
}

function booleanArgument(directive: ConstDirectiveNode, name: string): boolean {
  const value = argument(directive, name);
  return value?.kind === Kind.BOOLEAN && value.value;
}

function hasArgument(directive: ConstDirectiveNode, name: string): boolean {
  const value = argument(directive, name);
  return value !== undefined && value.kind !== Kind.NULL;
}
