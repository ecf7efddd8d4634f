/**
 * Parse-tree node types (libpg_query's tags) a guarded statement may contain. Anything else —
 * statements other than SELECT, XML and SQL/JSON constructors, XMLTABLE, DEFAULT, parameters,
 * INTO, locking clauses, and any node a future parser adds — is refused, so that a construct the
 * guard does not know is never waved through.
 */
export const ALLOWED_NODES: ReadonlySet<string> = new Set([
  'SelectStmt', 'ResTarget', 'ColumnRef', 'A_Star', 'A_Const', 'A_Expr', 'BoolExpr', 'FuncCall',
  'TypeCast', 'TypeName', 'CollateClause', 'SubLink', 'CaseExpr', 'CaseWhen', 'CoalesceExpr',
  'MinMaxExpr', 'NullTest', 'BooleanTest', 'RowExpr', 'A_ArrayExpr', 'A_Indirection', 'A_Indices',
  'NamedArgExpr', 'SQLValueFunction', 'JsonIsPredicate', 'RangeVar', 'RangeSubselect',
  'RangeFunction', 'RangeTableSample', 'JoinExpr', 'Alias', 'SortBy', 'WindowDef', 'GroupingSet',
  'GroupingFunc', 'WithClause', 'CommonTableExpr', 'CTESearchClause', 'CTECycleClause', 'List',
  'String', 'Integer', 'Float', 'Boolean', 'BitString',
]);

/** Statements that change data: inside WITH they get their own rule. */
export const DATA_MODIFYING_STATEMENTS: ReadonlySet<string> = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
