//! Sources beyond the loaded logs. A Sentinel watchlist
//! (`_GetWatchlist('alias')`) reads the file named as a table of that
//! alias (`--table alias=PATH`): its columns, a `SearchKey` (the file's
//! own `SearchKey` column, else its first column, the key a watchlist is
//! usually made with) and `WatchlistItem`, the row as a bag. `externaldata`
//! fetches its rows over the network, which an offline run cannot do, and
//! `find` is not built; both are refused at load with what to use instead.

use serde_json::{Map, Value as Json};

use super::ast::Tabular;
use super::eval::Row;
use super::exec::{Exec, Table};
use super::parser::Parser;
use super::value::KV;
use crate::rules::diag::{Diagnostic, Span};
use crate::rules::lex::Cursor;

impl Parser<'_> {
    /// After `_GetWatchlist`: `('alias')`.
    pub(super) fn watchlist(&mut self, start: usize) -> Result<Tabular, Diagnostic> {
        self.ws();
        self.expect('(')?;
        self.ws();
        let alias = match self.primary()? {
            super::ast::Expr::Str(s) if !s.is_empty() => s,
            _ => return Err(self.error("Expected the watchlist's alias, in quotes")),
        };
        self.ws();
        self.expect(')')?;
        Ok(Tabular::Watchlist(alias, Span::new(start, self.pos)))
    }

    /// After `externaldata`: `(Schema) [URLs] [with (Properties)]`, read
    /// whole so the refusal can name what it would fetch.
    pub(super) fn external_data(&mut self, start: usize) -> Result<Tabular, Diagnostic> {
        self.ws();
        self.expect('(')?;
        self.list(')', true, |p| p.column_decl(true))?;
        self.ws();
        if !self.eat('[') {
            return Err(self.error("Expected \"[\" and the addresses to read"));
        }
        let urls = self.list(']', true, |p| match p.primary()? {
            super::ast::Expr::Str(s) => Ok(s),
            _ => Err(p.error("Expected an address, in quotes")),
        })?;
        self.ws();
        if self.keyword("with") {
            self.ws();
            self.expect('(')?;
            self.list(')', true, |p| {
                p.ident()?;
                p.ws();
                p.expect('=')?;
                p.primary()
            })?;
        }
        let what = urls
            .first()
            .map_or("nowhere".to_string(), |u| format!("{u:?}"));
        Err(Diagnostic::new(
            Span::new(start, self.pos),
            format!(
                "externaldata is not supported offline: it fetches its rows from {what}. \
                 Save the file and name it as a table (--table NAME=PATH), then read NAME."
            ),
        ))
    }

    /// `find ...`: refused with its nearest equivalent.
    pub(super) fn find(&self, start: usize) -> Diagnostic {
        Diagnostic::new(
            Span::new(start, start + "find".len()),
            "The find operator is not supported; search looks in every table alike and names \
             each row's table in $table.",
        )
    }
}

impl Exec<'_> {
    /// The watchlist of `alias`: the table of that name, keyed.
    pub(super) fn watchlist(&self, alias: &str) -> Table {
        let mut t = self.table_named(alias).unwrap_or_default();
        let key = if t.columns.iter().any(|c| c == "SearchKey") {
            "SearchKey".to_string()
        } else {
            t.columns.first().cloned().unwrap_or_default()
        };
        for r in &mut t.rows {
            let mut bag = Map::new();
            for c in &t.columns {
                bag.insert(c.clone(), super::exec::render(&r.get(c)));
            }
            let search_key = r.get(&key);
            r.set("SearchKey", search_key);
            r.set("WatchlistItem", KV::Dyn(Json::Object(bag)));
        }
        let mut columns = vec!["SearchKey".to_string(), "WatchlistItem".to_string()];
        columns.extend(
            t.columns
                .into_iter()
                .filter(|c| c != "SearchKey" && c != "WatchlistItem"),
        );
        t.columns = columns;
        t
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::kusto::compile;
    use crate::rules::kusto::eval::Row;
    use crate::rules::kusto::exec::{Exec, KRow, Table, Tables};
    use crate::rules::kusto::value::KV;

    fn vips() -> Tables {
        let mut t = Tables::new();
        t.insert(
            "VIPUsers".into(),
            Table {
                columns: vec!["User Principal Name".into(), "Tier".into()],
                rows: [
                    ("grace.liu@contoso-lab.com", "0"),
                    ("tom.becker@contoso-lab.com", "1"),
                ]
                .iter()
                .map(|(u, tier)| KRow {
                    cols: vec![
                        ("User Principal Name".into(), KV::Str(u.to_string())),
                        ("Tier".into(), KV::Str(tier.to_string())),
                    ],
                    doc: None,
                    evidence: Vec::new(),
                })
                .collect(),
            },
        );
        t
    }

    #[test]
    fn a_watchlist_is_keyed_by_its_first_column_and_bagged() {
        let q = compile(
            "let vip = _GetWatchlist('VIPUsers') | where Tier == '0' | project SearchKey;\n\
             print u = 'grace.liu@contoso-lab.com' | where u in (vip)",
        )
        .unwrap();
        let tables = vips();
        let t = Exec::new(&tables, 0).run(&q);
        assert_eq!(t.rows.len(), 1);
        let q =
            compile("_GetWatchlist('VIPUsers') | project WatchlistItem.Tier, SearchKey").unwrap();
        let t = Exec::new(&tables, 0).run(&q);
        let cells: Vec<String> = t
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{}={}",
                    r.get(&t.columns[1]).to_text(),
                    r.get(&t.columns[0]).to_text()
                )
            })
            .collect();
        assert_eq!(
            cells,
            [
                "grace.liu@contoso-lab.com=0",
                "tom.becker@contoso-lab.com=1"
            ]
        );
    }

    #[test]
    fn externaldata_and_find_are_refused_naming_what_to_do() {
        let e = compile(
            "let bad = externaldata(ip:string, note:string)[@\"https://example.com/ips.csv\"] \
             with (format=\"csv\", ignoreFirstRecord=true);\nSigninLogs | where IPAddress in (bad)",
        )
        .unwrap_err();
        assert!(e.message.contains("not supported"), "{}", e.message);
        assert!(
            e.message.contains("https://example.com/ips.csv"),
            "{}",
            e.message
        );
        assert!(e.message.contains("--table"), "{}", e.message);
        let e = compile("find in (SigninLogs) where IPAddress == '1.2.3.4'").unwrap_err();
        assert!(
            e.message.contains("not supported") && e.message.contains("search"),
            "{}",
            e.message
        );
        assert!(
            compile("_GetWatchlist(VIPUsers)").is_err(),
            "the alias is quoted"
        );
    }
}
