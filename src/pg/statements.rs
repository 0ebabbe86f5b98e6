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
}
