import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Kubernetes objects checked against the API's OpenAPI schema, as the `kubernetes-models` package
 * carries it (Kubernetes 1.32+): its `validate()` (types, required fields, enums, formats), and
 * — because that validator lets unknown fields through, which an API server with strict field
 * validation rejects and an older one silently drops (a misspelt `livenessprobe` is no probe) —
 * the same package's TypeScript types, whose excess-property checks name every unknown field.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface KubeObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown };
  [key: string]: unknown;
}

/** `apps/v1` + `Deployment` → `kubernetes-models/apps/v1/Deployment`; null when the package has no such kind. */
export function modelModule(apiVersion: unknown, kind: unknown): string | null {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Za-z0-9]+$/.test(kind)) return null;
  const parts = apiVersion.split('/');
  const [group, version] = parts.length === 1 ? ['', parts[0]!] : parts.length === 2 ? [parts[0]!, parts[1]!] : [null, null];
  if (group === null || !/^[a-z0-9.]*$/.test(group) || !/^v[0-9a-z]+$/.test(version ?? '')) return null;
  const specifier = `kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${kind}`;
  return fs.existsSync(path.join(root, 'node_modules', `${specifier}.js`)) ? specifier : null;
}

/** The schema validator's verdict on one object: null when valid, else what is wrong. */
export async function validateObject(object: KubeObject): Promise<string | null> {
  const specifier = modelModule(object.apiVersion, object.kind);
  if (!specifier) return `unknown kind ${String(object.apiVersion)}/${String(object.kind)} (not in kubernetes-models)`;
  const module = (await import(specifier)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[object.kind as string];
  if (!Model) return `kubernetes-models has no ${String(object.kind)} in ${specifier}`;
  try {
    new Model(object).validate();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Type-checks every object as an object literal of its kind's interface (`IDeployment`, …) in one
 * in-memory TypeScript program, and names every field that its place in the schema does not have
 * (TypeScript itself reports only the first excess property of each object). Returns one line per
 * problem, prefixed with the label of the object it is in. Objects of unknown kinds are left to
 * validateObject.
 */
export function unknownFieldProblems(objects: ReadonlyArray<{ label: string; object: KubeObject }>): string[] {
  const imports: string[] = [];
  const body: string[] = [];
  const labels = new Map<string, string>();
  objects.forEach(({ label, object }, i) => {
    const specifier = modelModule(object.apiVersion, object.kind);
    if (!specifier) return;
    imports.push(`import type { I${String(object.kind)} as T${i} } from '${specifier}';`);
    body.push(`export const o${i}: T${i} = ${JSON.stringify(object, null, 2)};`);
    labels.set(`o${i}`, label);
  });
  const text = [...imports, ...body].join('\n') + '\n';
  const file = path.join(root, 'test', '__kubernetes_manifests__.ts');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2023.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) =>
    path.resolve(name) === file ? ts.createSourceFile(name, text, languageVersion, true) : getSourceFile.call(host, name, languageVersion, onError, shouldCreate);
  host.fileExists = (name) => path.resolve(name) === file || fileExists.call(host, name);
  host.readFile = (name) => (path.resolve(name) === file ? text : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const problems: string[] = [];

  /** The declaration (o<i>) a node is in, and its path from the object's root: spec.template.… */
  const locate = (node: ts.Node): string => {
    const steps: string[] = [];
    let current: ts.Node = node;
    while (!ts.isVariableDeclaration(current)) {
      const parent = current.parent;
      if (ts.isPropertyAssignment(parent) && parent.initializer === current) steps.unshift(propertyName(parent));
      else if (ts.isArrayLiteralExpression(parent)) steps.unshift(`[${parent.elements.indexOf(current as ts.Expression)}]`);
      current = parent;
    }
    const label = labels.get(current.name.getText(source)) ?? 'manifests';
    return `${label}: ${steps.join('.').replace(/\.\[/g, '[')}`;
  };

  const hasProperty = (type: ts.Type, name: string): boolean => {
    const candidates = type.isUnion() ? type.types : [type];
    return candidates.some((t) => checker.getPropertyOfType(t, name) !== undefined || checker.getIndexInfoOfType(t, ts.IndexKind.String) !== undefined);
  };

  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      const type = checker.getContextualType(node);
      if (type) {
        for (const property of node.properties) {
          if (!ts.isPropertyAssignment(property)) continue;
          const name = propertyName(property);
          if (!hasProperty(type, name)) problems.push(`${locate(property.initializer)}: unknown field "${name}" (not in ${checker.typeToString(checker.getNonNullableType(type))})`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  // Everything else the types reject (wrong types, missing required fields); excess properties
  // (2353, 2561) are reported above, every one of them.
  for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
    if (d.code === 2353 || d.code === 2561) continue;
    const node = d.start === undefined ? undefined : findNode(source, d.start);
    problems.push(`${node ? locate(node) : 'manifests'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  return problems;
}

function propertyName(property: ts.PropertyAssignment): string {
  const name = property.name;
  return ts.isStringLiteral(name) || ts.isIdentifier(name) || ts.isNumericLiteral(name) ? name.text : name.getText();
}

/** The innermost node at a position inside one of the object declarations. */
function findNode(source: ts.SourceFile, position: number): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (position < node.getStart(source) || position >= node.getEnd()) return;
    found = node;
    ts.forEachChild(node, visit);
  };
  visit(source);
  let node = found;
  while (node && !ts.isVariableDeclaration(node)) node = node.parent;
  return node ? found : undefined;
}
