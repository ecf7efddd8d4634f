/** One column as retrieval and the prompt see it. */
export interface ColumnInfo {
  name: string;
  /** As PostgreSQL writes it (format_type). */
  type: string;
  nullable: boolean;
  /** Low-cardinality sample values (quoted and length-capped when written into a summary); only from shared data. */
  samples: string[];
}

export interface ForeignKeyInfo {
  columns: string[];
  /** The referenced table, `schema.table`. */
  references: string;
  referencedColumns: string[];
}

/** What the schema index knows of one table: enough to summarise it for embedding and for the prompt. */
export interface TableInfo {
  /** `schema.table`. */
  name: string;
  schema: string;
  table: string;
  columns: ColumnInfo[];
  primaryKey: string[];
  foreignKeys: ForeignKeyInfo[];
  /** Rows, as estimated (0 when unknown). */
  rowEstimate: number;
  tenancy: 'tenant' | 'reference';
  /** What an admin wrote about the table (a table comment, or a description given at index time). */
  description: string | null;
}
