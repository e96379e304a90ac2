//! `memory:` — the reference store; lives as long as one command.

use anyhow::Result;

use super::table::TokenTable;
use super::{saveable, upsert, Bulk, Rows, TokenStore};
use crate::token::{MatchKey, Token};

#[derive(Default)]
pub struct MemoryStore {
    table: TokenTable,
}

/// A copy of the table, swapped in on commit.
struct MemoryBulk<'s> {
    store: &'s mut MemoryStore,
    work: TokenTable,
}

impl Bulk for MemoryBulk<'_> {
    fn existing(&mut self, ids: &[String]) -> Result<Vec<Token>> {
        ids.iter()
            .filter_map(|id| self.work.find(&MatchKey::Id(id)).transpose())
            .collect()
    }

    fn put(&mut self, tokens: &[Token]) -> Result<()> {
        self.work.put(tokens)
    }

    fn commit(self: Box<Self>) -> Result<()> {
        self.store.table = self.work;
        Ok(())
    }
}

impl TokenStore for MemoryStore {
    fn bulk(&mut self) -> Result<Box<dyn Bulk + '_>> {
        let work = TokenTable::from_rows(self.table.rows().to_vec());
        Ok(Box::new(MemoryBulk { store: self, work }))
    }

    fn save_tokens(&mut self, tokens: &[Token]) -> Result<Vec<Token>> {
        // A refused token is the only way an upsert here can fail: check
        // them all first, so that a failure part-way changes nothing.
        tokens.iter().try_for_each(saveable)?;
        tokens.iter().map(|t| upsert(&mut self.table, t)).collect()
    }

    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        self.table.find(key)
    }

    fn for_each_token(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        self.table.sorted().into_iter().try_for_each(visit)
    }

    fn delete_ids(&mut self, ids: &[String]) -> Result<Vec<String>> {
        Ok(self.table.remove(ids))
    }

    fn delete_matching(&mut self, select: &dyn Fn(&Token) -> bool) -> Result<Vec<Token>> {
        Ok(self.table.remove_where(select))
    }

    fn delete_tokens(&mut self) -> Result<usize> {
        Ok(self.table.clear())
    }
}
