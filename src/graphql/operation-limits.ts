import { GraphQLError, Kind, type ASTVisitor, type ValidationContext, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxFields: number;
  /**
   * Subgraphs: the federation plumbing the gateway's query planner adds to a client's selections
   * (`_entities` around entity fetches, `__typename` next to them) is not counted, so a client
   * operation within the limits at the gateway is within them at every subgraph it reaches.
   */
  ignoreFederationPlumbing?: boolean;
}

/**
 * Validation rules that bound every operation before it executes: selection depth and the total
 * number of fields selected (breadth), fragments expanded. The gateway and every subgraph apply
 * them, so a caller that reaches a subgraph directly (with the internal secret) is bound too.
 */
export function operationLimits(limits: OperationLimits) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
      const counter = { fields: 0 };
      const depth = measure(node.selectionSet, fragments, counter, new Set(), limits);
      if (depth > limits.maxDepth) {
        context.reportError(limitError(`operation depth ${depth} exceeds the limit of ${limits.maxDepth}`));
      } else if (counter.fields > limits.maxFields) {
        context.reportError(limitError(`operation selects more than ${limits.maxFields} fields; split it into smaller operations`));
      }
    },
  });
}

const FEDERATION_PLUMBING: ReadonlySet<string> = new Set(['_entities', '__typename']);

function measure(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  counter: { fields: number },
  visiting: Set<string>,
  limits: OperationLimits,
): number {
  let deepest = 0;
  for (const selection of set.selections) {
    if (counter.fields > limits.maxFields) return deepest;
    if (selection.kind === Kind.FIELD) {
      const plumbing = limits.ignoreFederationPlumbing === true && FEDERATION_PLUMBING.has(selection.name.value);
      if (!plumbing) counter.fields += 1;
      const below = selection.selectionSet ? measure(selection.selectionSet, fragments, counter, visiting, limits) : 0;
      // `ofType` unwraps one list or non-null wrapper: one object per level, as deep as a type's
      // wrapping goes. The standard introspection query (GraphiQL's, codegen's) nests it 7–8 times;
      // the nesting that multiplies an answer's size (fields → type → fields …) still counts.
      const level = plumbing || selection.name.value === 'ofType' ? 0 : 1;
      deepest = Math.max(deepest, level + below);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, measure(selection.selectionSet, fragments, counter, visiting, limits));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue; // unknown or cyclic fragments are reported by graphql-js itself
      visiting.add(name);
      deepest = Math.max(deepest, measure(fragment.selectionSet, fragments, counter, visiting, limits));
      visiting.delete(name);
    }
  }
  return deepest;
}

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}
