/** How a refusal names a parse-tree node the user wrote, where its tag would not say it plainly. */
const NAMES: Readonly<Record<string, string>> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  VariableSetStmt: 'SET or RESET',
  VariableShowStmt: 'SHOW',
  TransactionStmt: 'a transaction command',
  CopyStmt: 'COPY',
  ExplainStmt: 'EXPLAIN',
  CreateTableAsStmt: 'CREATE TABLE AS',
  CreateStmt: 'CREATE TABLE',
  VacuumStmt: 'VACUUM or ANALYZE',
  CheckPointStmt: 'CHECKPOINT',
  DoStmt: 'DO',
  CallStmt: 'CALL',
  PrepareStmt: 'PREPARE',
  ExecuteStmt: 'EXECUTE',
  DeallocateStmt: 'DEALLOCATE',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  NotifyStmt: 'NOTIFY',
  LoadStmt: 'LOAD',
  LockStmt: 'LOCK',
  DiscardStmt: 'DISCARD',
  GrantStmt: 'GRANT or REVOKE',
  GrantRoleStmt: 'GRANT or REVOKE of a role',
  XmlExpr: 'An XML function',
  XmlSerialize: 'XMLSERIALIZE',
  RangeTableFunc: 'XMLTABLE',
  JsonTable: 'JSON_TABLE',
  SetToDefault: 'DEFAULT',
  ColumnDef: 'A column definition list',
  CurrentOfExpr: 'WHERE CURRENT OF',
};

/** `DropStmt` → DROP, `CreateRoleStmt` → CREATE ROLE, `XmlExpr` → An XML function. */
export function nodeName(tag: string): string {
  const named = NAMES[tag];
  if (named) return named;
  if (!tag.endsWith('Stmt')) return `The construct ${tag}`;
  return tag.slice(0, -'Stmt'.length).replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}
