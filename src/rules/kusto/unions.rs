//! `union`: the rows of several tables under the columns of all of them
//! (`kind=outer`) or those every leg has (`kind=inner`), with a
//! `withsource=` column naming each row's table. A leg may name tables by
//! a wildcard; it stands for every loaded table whose name fits, in name
//! order.

use super::ast::{Tabular, Union};
use super::exec::{Exec, Table, add_column, name_matches};
use super::parser::{Parser, ident_char};
use super::value::KV;
use crate::rules::diag::{Diagnostic, Span};
use crate::rules::lex::Cursor;

impl Parser<'_> {
    /// `[kind=inner|outer] [withsource=Column] [isfuzzy=bool] Legs`.
    pub(super) fn union_list(&mut self) -> Result<Union, Diagnostic> {
        let mut u = Union {
            legs: Vec::new(),
            source: None,
            inner: false,
            filter: None,
        };
        loop {
            self.ws();
            let start = self.pos;
            let Some(name) = ["kind", "withsource", "isfuzzy"].into_iter().find(|n| {
                self.peek_keyword(n) && self.rest()[n.len()..].trim_start().starts_with('=')
            }) else {
                break;
            };
            let value = self.option(&[name])?.unwrap_or_default();
            match (name, value.to_ascii_lowercase().as_str()) {
                ("kind", "inner") => u.inner = true,
                ("kind", "outer") | ("isfuzzy", "true" | "false") => {}
                ("withsource", _) => u.source = Some(value),
                _ => {
                    return Err(Diagnostic::new(
                        Span::new(start, self.pos),
                        format!("union {name}={value} is not a value union takes."),
                    ));
                }
            }
        }
        u.legs = self.union_legs()?;
        Ok(u)
    }

    /// Comma-separated tables, names with `*` wildcards among them, and
    /// parenthesised queries.
    pub(super) fn union_legs(&mut self) -> Result<Vec<Tabular>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            self.ws();
            let start = self.pos;
            let rest = self.rest();
            let word = &rest[..rest
                .find(|c: char| !(ident_char(c) || c == '*'))
                .unwrap_or(rest.len())];
            if word.contains('*') {
                self.pos += word.len();
                out.push(Tabular::Source(word.into(), Span::new(start, self.pos)));
            } else {
                out.push(self.source_or_pipeline()?);
            }
            self.ws();
            if !self.eat(',') {
                break;
            }
        }
        Ok(out)
    }
}

impl Exec<'_> {
    /// The union of `u`'s legs, after `piped` (the rows of `T` in
    /// `T | union ...`) when given.
    pub(super) fn union_of(&mut self, piped: Option<Table>, u: &Union) -> Table {
        let mut legs: Vec<(String, Table)> = Vec::new();
        let mut position = 0usize;
        let mut unnamed = |t: Table, legs: &mut Vec<(String, Table)>| {
            legs.push((format!("union_arg{position}"), t));
            position += 1;
        };
        if let Some(t) = piped {
            unnamed(t, &mut legs);
        }
        for leg in &u.legs {
            match leg {
                Tabular::Source(pattern, _) if pattern.contains('*') => {
                    let mut names: Vec<&String> = self
                        .tables
                        .keys()
                        .filter(|n| name_matches(pattern, n))
                        .collect();
                    names.sort();
                    for n in names {
                        legs.push((n.clone(), self.tables[n].clone()));
                    }
                }
                Tabular::Source(name, _) => {
                    let t = self.table_named(name).unwrap_or_default();
                    legs.push((name.clone(), t));
                }
                other => {
                    let t = self.tabular(other);
                    unnamed(t, &mut legs);
                }
            }
        }
        if u.source.is_some() || u.filter.is_some() {
            for (name, t) in &mut legs {
                if let Some(col) = &u.source {
                    t.rows
                        .iter_mut()
                        .for_each(|r| r.set(col, KV::Str(name.clone())));
                }
                if let Some(f) = &u.filter {
                    self.prepare(f);
                    self.keep_where(t, f);
                }
            }
        }
        combine(legs, u)
    }
}

fn combine(legs: Vec<(String, Table)>, u: &Union) -> Table {
    let mut columns: Vec<String> = u.source.iter().cloned().collect();
    if u.inner {
        let mut shared: Vec<String> = legs
            .first()
            .map(|(_, t)| t.columns.clone())
            .unwrap_or_default();
        shared.retain(|c| legs.iter().all(|(_, t)| t.columns.contains(c)));
        shared.iter().for_each(|c| add_column(&mut columns, c));
    } else {
        for (_, t) in &legs {
            t.columns.iter().for_each(|c| add_column(&mut columns, c));
        }
    }
    let rows = legs.into_iter().flat_map(|(_, t)| t.rows).collect();
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use crate::rules::kusto::compile;
    use crate::rules::kusto::eval::Row;
    use crate::rules::kusto::exec::{Exec, KRow, Table, Tables};
    use crate::rules::kusto::value::KV;

    fn tables() -> Tables {
        let row = |cols: &[(&str, &str)]| KRow {
            cols: cols
                .iter()
                .map(|(c, v)| (c.to_string(), KV::Str(v.to_string())))
                .collect(),
            doc: None,
            evidence: Vec::new(),
        };
        let mut t = Tables::new();
        for (name, cols) in [
            ("SigninLogs", vec![("User", "a"), ("IPAddress", "1.1.1.1")]),
            (
                "AADNonInteractiveUserSignInLogs",
                vec![("User", "b"), ("IPAddress", "2.2.2.2")],
            ),
            ("AuditLogs", vec![("User", "c"), ("OperationName", "x")]),
        ] {
            t.insert(
                name.into(),
                Table {
                    columns: cols.iter().map(|(c, _)| c.to_string()).collect(),
                    rows: vec![row(&cols)],
                },
            );
        }
        t
    }

    fn run(query: &str) -> (Vec<String>, Vec<String>) {
        let q = compile(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
        let tables = tables();
        let t = Exec::new(&tables, 0).run(&q);
        let rows = t
            .rows
            .iter()
            .map(|r| {
                t.columns
                    .iter()
                    .map(|c| r.get(c).to_text())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        (t.columns, rows)
    }

    #[test]
    fn withsource_names_each_rows_table_first() {
        let (cols, rows) = run("union withsource=Source SigninLogs, AuditLogs");
        assert_eq!(cols, ["Source", "User", "IPAddress", "OperationName"]);
        assert_eq!(rows, ["SigninLogs,a,1.1.1.1,", "AuditLogs,c,,x"]);
        // A leg that is a query is named by its position.
        let (_, rows) =
            run("SigninLogs | union withsource=S (AuditLogs | where User == 'c') | project S");
        assert_eq!(rows, ["union_arg0", "union_arg1"]);
    }

    #[test]
    fn wildcards_take_every_fitting_table_in_name_order() {
        let (_, rows) = run("union withsource=T *SignInLogs, Signin* | project T");
        assert_eq!(rows, ["AADNonInteractiveUserSignInLogs", "SigninLogs"]);
        let (_, rows) = run("union * | count");
        assert_eq!(rows, ["3"]);
        let (_, rows) = run("union isfuzzy=true NoSuchTable*, AuditLogs | count");
        assert_eq!(rows, ["1"]);
    }

    #[test]
    fn inner_keeps_only_the_columns_every_leg_has() {
        let (cols, _) = run("union kind=inner SigninLogs, AuditLogs");
        assert_eq!(cols, ["User"]);
        let (cols, _) = run("union kind=outer SigninLogs, AuditLogs");
        assert_eq!(cols, ["User", "IPAddress", "OperationName"]);
        assert!(compile("union kind=sideways SigninLogs, AuditLogs").is_err());
    }
}
