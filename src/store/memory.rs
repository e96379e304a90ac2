//! `memory:` — the reference store; lives as long as one command.

use anyhow::Result;

use super::table::{TableSink, TableTx, TokenTable};
use super::{Details, TokenStore, WriteTx};
use crate::token::{MatchKey, Token};

#[derive(Default)]
pub struct MemoryStore {
    table: TokenTable,
}

/// Swaps the transaction's table in on commit.
struct Swap<'s> {
    store: &'s mut MemoryStore,
}

impl TableSink for Swap<'_> {
    fn commit(self: Box<Self>, table: TokenTable) -> Result<()> {
        self.store.table = TokenTable::from_rows(table.into_rows());
        Ok(())
    }

    fn abort(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

impl TokenStore for MemoryStore {
    fn scan(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        self.table.rows().try_for_each(|row| visit(row.to_token()))
    }

    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        Ok(self.table.find(key))
    }

    fn begin_write(&mut self) -> Result<Box<dyn WriteTx + '_>> {
        let work = TokenTable::from_rows(self.table.rows().cloned().collect());
        Ok(Box::new(TableTx::new(work, Box::new(Swap { store: self }))))
    }

    fn describe(&mut self) -> Result<Details> {
        Ok(Details::default())
    }
}
