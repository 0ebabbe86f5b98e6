//! A small LRU of prepared statements per connection, by (sql, parameter
//! type oids).

use tokio_postgres::Statement;

const CAPACITY: usize = 128;

#[derive(Default)]
pub struct Statements(Vec<((String, Vec<u32>), Statement)>);

impl Statements {
    pub fn get(&mut self, sql: &str, types: &[u32]) -> Option<Statement> {
        let at = self.0.iter().position(|((s, t), _)| s == sql && t == types)?;
        let entry = self.0.remove(at);
        let statement = entry.1.clone();
        self.0.push(entry);
        Some(statement)
    }

    pub fn put(&mut self, sql: &str, types: &[u32], statement: Statement) {
        if self.0.len() >= CAPACITY {
            self.0.remove(0);
        }
        self.0.push(((sql.to_string(), types.to_vec()), statement));
    }

    /// Drops one statement, so the next use prepares it afresh.
    pub fn forget(&mut self, sql: &str, types: &[u32]) {
        self.0.retain(|((s, t), _)| s != sql || t != types);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// Whether `sql` may change what an already prepared statement returns (a
/// table dropped and made again with other columns, a view replaced, another
/// search_path): the server then refuses the old statement with "cached plan
/// must not change result type". psycopg forgets its statements after DROP
/// and DISCARD; we also do after CREATE (OR REPLACE), ALTER and SET.
pub fn changes_schema(sql: &str) -> bool {
    let word: String = skip_comments(sql).chars().take_while(char::is_ascii_alphabetic).collect();
    ["DROP", "ALTER", "CREATE", "DISCARD", "SET"].iter().any(|k| word.eq_ignore_ascii_case(k))
}

/// `sql` from its first token: leading blanks, `--` and `/* */` comments skipped.
fn skip_comments(mut sql: &str) -> &str {
    loop {
        sql = sql.trim_start();
        if let Some(rest) = sql.strip_prefix("--") {
            sql = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(rest) = sql.strip_prefix("/*") {
            sql = rest.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return sql;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::changes_schema;

    #[test]
    fn ddl_is_recognised_after_comments() {
        assert!(changes_schema("DROP TABLE t"));
        assert!(changes_schema("  -- why\n/* note */ alter table t add column x int"));
        assert!(changes_schema("create or replace view v as select 1"));
        assert!(changes_schema("SET search_path TO s"));
        assert!(!changes_schema("select * from drop_log"));
        assert!(!changes_schema("insert into t values (1)"));
        assert!(!changes_schema("settle"));
        assert!(!changes_schema("/* unterminated"));
        assert!(!changes_schema(""));
    }
}
