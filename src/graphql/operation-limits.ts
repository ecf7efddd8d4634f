import { GraphQLError, Kind, type ASTVisitor, type ValidationContext, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * Validation rules that bound every operation before it executes: selection depth and the total
 * number of fields selected (breadth), fragments expanded.
 */
export function operationLimits(limits: { maxDepth: number; maxFields: number }) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
      const counter = { fields: 0 };
      const depth = measure(node.selectionSet, fragments, counter, new Set(), limits.maxFields);
      if (depth > limits.maxDepth) {
        context.reportError(limitError(`operation depth ${depth} exceeds the limit of ${limits.maxDepth}`));
      } else if (counter.fields > limits.maxFields) {
        context.reportError(limitError(`operation selects more than ${limits.maxFields} fields; split it into smaller operations`));
      }
    },
  });
}

function measure(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  counter: { fields: number },
  visiting: Set<string>,
  maxFields: number,
): number {
  let deepest = 0;
  for (const selection of set.selections) {
    if (counter.fields > maxFields) return deepest;
    if (selection.kind === Kind.FIELD) {
      counter.fields += 1;
      const below = selection.selectionSet ? measure(selection.selectionSet, fragments, counter, visiting, maxFields) : 0;
      deepest = Math.max(deepest, 1 + below);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, measure(selection.selectionSet, fragments, counter, visiting, maxFields));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue; // unknown or cyclic fragments are reported by graphql-js itself
      visiting.add(name);
      deepest = Math.max(deepest, measure(fragment.selectionSet, fragments, counter, visiting, maxFields));
      visiting.delete(name);
    }
  }
  return deepest;
}

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}
