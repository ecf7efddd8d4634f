/**
 * Functions LLM-written SQL may call, unqualified or `pg_catalog.`-qualified (the name as the
 * parser gives it: unquoted names lower-cased, quoted ones verbatim, so `"COUNT"` or a Cyrillic
 * look-alike is simply absent). Every one computes a value from its arguments and nothing else:
 * no session state, no files, no other backends, no catalog lookups, no waiting.
 *
 * Deliberately absent (among everything else): set_config, current_setting, pg_sleep*, dblink*,
 * lo_*, pg_read_*, pg_ls_*, pg_stat_file, pg_terminate_backend, pg_cancel_backend,
 * pg_reload_conf, pg_advisory*, txid_* and pg_current_xact*, query_to_xml and the other
 * *_to_xml, to_regclass and the other to_reg*, has_*_privilege, version, current_database,
 * current_user (as SQLValueFunction below), pg_typeof, row_security_active, nextval.
 *
 * generate_series is allowed even with absurd bounds: the executor's statement timeout and row
 * cap bound what it costs, and refusing it by argument would mean evaluating expressions here.
 */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'string_agg', 'array_agg',
  'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg', 'stddev', 'stddev_pop',
  'stddev_samp', 'variance', 'var_pop', 'var_samp', 'corr', 'covar_pop', 'covar_samp',
  'regr_slope', 'regr_intercept', 'regr_r2', 'regr_count', 'regr_avgx', 'regr_avgy', 'regr_sxx',
  'regr_syy', 'regr_sxy', 'percentile_cont', 'percentile_disc', 'mode', 'bit_and', 'bit_or',
  'any_value',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead',
  'first_value', 'last_value', 'nth_value',
  // math
  'abs', 'ceil', 'ceiling', 'floor', 'round', 'trunc', 'sign', 'sqrt', 'cbrt', 'power', 'pow',
  'exp', 'ln', 'log', 'log10', 'mod', 'div', 'pi', 'degrees', 'radians', 'width_bucket', 'gcd',
  'lcm', 'factorial', 'scale', 'min_scale', 'trim_scale', 'sin', 'cos', 'tan', 'asin', 'acos',
  'atan', 'atan2', 'random',
  // strings (btrim, substring, position, overlay, like_escape, similar_to_escape, normalize and
  // is_normalized are also what TRIM, SUBSTRING, POSITION, OVERLAY, LIKE … ESCAPE, SIMILAR TO and
  // IS NORMALIZED parse to)
  'length', 'char_length', 'character_length', 'octet_length', 'bit_length', 'lower', 'upper',
  'initcap', 'btrim', 'ltrim', 'rtrim', 'substr', 'substring', 'position', 'strpos', 'replace',
  'translate', 'concat', 'concat_ws', 'left', 'right', 'lpad', 'rpad', 'repeat', 'reverse',
  'split_part', 'starts_with', 'format', 'overlay', 'ascii', 'chr', 'md5', 'like_escape',
  'similar_to_escape', 'normalize', 'is_normalized', 'regexp_replace', 'regexp_match',
  'regexp_matches', 'regexp_like', 'regexp_count', 'regexp_substr', 'regexp_instr',
  'regexp_split_to_array', 'regexp_split_to_table', 'string_to_array', 'string_to_table',
  'array_to_string', 'quote_literal', 'quote_ident',
  // date and time (extract, timezone and overlaps are what EXTRACT, AT TIME ZONE and OVERLAPS parse to)
  'now', 'date_trunc', 'date_part', 'extract', 'age', 'make_date', 'make_time', 'make_timestamp',
  'make_timestamptz', 'make_interval', 'justify_days', 'justify_hours', 'justify_interval',
  'date_bin', 'date_add', 'date_subtract', 'clock_timestamp', 'statement_timestamp',
  'transaction_timestamp', 'timezone', 'isfinite', 'overlaps',
  // formatting and casting helpers
  'to_char', 'to_number', 'to_date', 'to_timestamp',
  // conditional (COALESCE, NULLIF, GREATEST and LEAST are expressions, not calls)
  'num_nulls', 'num_nonnulls',
  // JSON
  'to_json', 'to_jsonb', 'json_build_object', 'jsonb_build_object', 'json_build_array',
  'jsonb_build_array', 'json_extract_path', 'json_extract_path_text', 'jsonb_extract_path',
  'jsonb_extract_path_text', 'json_array_length', 'jsonb_array_length', 'json_typeof',
  'jsonb_typeof', 'jsonb_pretty', 'jsonb_strip_nulls', 'json_strip_nulls', 'jsonb_set',
  'jsonb_insert', 'jsonb_path_exists', 'jsonb_path_match', 'jsonb_path_query',
  'jsonb_path_query_array', 'jsonb_path_query_first', 'json_each', 'json_each_text',
  'jsonb_each', 'jsonb_each_text', 'json_array_elements', 'json_array_elements_text',
  'jsonb_array_elements', 'jsonb_array_elements_text', 'json_object_keys', 'jsonb_object_keys',
  // arrays
  'array_length', 'cardinality', 'array_position', 'array_positions', 'array_append',
  'array_prepend', 'array_cat', 'array_remove', 'array_replace', 'array_lower', 'array_upper',
  'array_dims', 'array_ndims', 'array_fill', 'trim_array', 'unnest', 'generate_subscripts',
  // series
  'generate_series',
]);

/** Set-returning functions that may stand in FROM (each is also in ALLOWED_FUNCTIONS). */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'unnest', 'generate_series', 'generate_subscripts', 'json_each', 'json_each_text', 'jsonb_each',
  'jsonb_each_text', 'json_array_elements', 'json_array_elements_text', 'jsonb_array_elements',
  'jsonb_array_elements_text', 'json_object_keys', 'jsonb_object_keys', 'jsonb_path_query',
  'regexp_matches', 'regexp_split_to_table', 'string_to_table',
]);

/**
 * The SQL-standard niladic functions (`SQLValueFunction` ops) allowed: dates and times only.
 * CURRENT_USER, SESSION_USER, CURRENT_ROLE, USER, CURRENT_SCHEMA and CURRENT_CATALOG describe the
 * session, not the data.
 */
export const ALLOWED_VALUE_FUNCTIONS: ReadonlySet<string> = new Set([
  'SVFOP_CURRENT_DATE', 'SVFOP_CURRENT_TIME', 'SVFOP_CURRENT_TIME_N', 'SVFOP_CURRENT_TIMESTAMP',
  'SVFOP_CURRENT_TIMESTAMP_N', 'SVFOP_LOCALTIME', 'SVFOP_LOCALTIME_N', 'SVFOP_LOCALTIMESTAMP',
  'SVFOP_LOCALTIMESTAMP_N',
]);

/** TABLESAMPLE methods allowed (the two built in). */
export const ALLOWED_TABLESAMPLE_METHODS: ReadonlySet<string> = new Set(['system', 'bernoulli']);
