//! Kusto's `search` operator and terms looked for in every column.
//! `search` is a union of tables (every loaded one, those named
//! `in (...)`, or the rows piped in) filtered by its predicate, with a
//! `$table` column naming each row's table. In the predicate a bare string
//! is a term looked for in any column, `Column:"term"` in one column, and
//! a `*` before a string operator (`where * has "x"`, in any query) stands
//! for every column of the row.

use super::ast::{BinOp, Expr, StrOp, Tabular, Union};
use super::parser::Parser;
use crate::rules::diag::{Diagnostic, Span};
use crate::rules::lex::Cursor;

/// The column that names each row's table in `search` results.
pub const TABLE_COLUMN: &str = "$table";

impl Parser<'_> {
    /// After `search` starting a query: `[kind=...] [in (Tables)] Predicate`.
    pub(super) fn search_source(&mut self) -> Result<Tabular, Diagnostic> {
        let cs = self.search_kind()?;
        let legs = if self.keyword("in") {
            self.ws();
            self.expect('(')?;
            let legs = self.union_legs()?;
            self.ws();
            self.expect(')')?;
            legs
        } else {
            vec![Tabular::Source("*".into(), Span::default())]
        };
        let pred = self.search_predicate(cs)?;
        Ok(searched(legs, pred))
    }

    /// After `T | search`: the rows of `T`, filtered.
    pub(super) fn search_pipe(&mut self, t: Tabular) -> Result<Tabular, Diagnostic> {
        let cs = self.search_kind()?;
        if self.peek_keyword("in") {
            return Err(self.error(
                "\"search in (...)\" cannot follow \"|\": a piped search reads the rows piped in",
            ));
        }
        let pred = self.search_predicate(cs)?;
        Ok(searched(vec![t], pred))
    }

    /// `kind=case_sensitive` (true), `case_insensitive` or `default`.
    fn search_kind(&mut self) -> Result<bool, Diagnostic> {
        self.ws();
        if !self.keyword("kind") {
            return Ok(false);
        }
        self.ws();
        self.expect('=')?;
        self.ws();
        let start = self.pos;
        let kind = self.ident()?;
        self.ws();
        match kind.to_ascii_lowercase().as_str() {
            "case_sensitive" => Ok(true),
            "case_insensitive" | "default" => Ok(false),
            _ => Err(Diagnostic::new(
                Span::new(start, start + kind.len()),
                format!(
                    "search kind={kind} is not one of case_sensitive, case_insensitive, default."
                ),
            )),
        }
    }

    fn search_predicate(&mut self, cs: bool) -> Result<Expr, Diagnostic> {
        self.ws();
        let outer = self.search_terms.replace(cs);
        let e = self.expr();
        self.search_terms = outer;
        Ok(terms(e?, cs))
    }
}

/// The rows of `legs` the predicate holds for, each judged over its own
/// table's columns.
fn searched(legs: Vec<Tabular>, pred: Expr) -> Tabular {
    Tabular::Union(Union {
        legs,
        source: Some(TABLE_COLUMN.into()),
        inner: false,
        filter: Some(pred),
    })
}

/// The predicate with its bare strings made terms over every column;
/// only strings where a condition stands (under `and`, `or`, `not`) are.
fn terms(e: Expr, cs: bool) -> Expr {
    match e {
        Expr::Bin(op @ (BinOp::And | BinOp::Or), a, b) => {
            Expr::Bin(op, Box::new(terms(*a, cs)), Box::new(terms(*b, cs)))
        }
        Expr::Call { name, args, span } if name == "not" => Expr::Call {
            name,
            args: args.into_iter().map(|a| terms(a, cs)).collect(),
            span,
        },
        Expr::Str(text) => term(Expr::Star, &text, cs),
        // `search *`: every row.
        Expr::Star => Expr::Bool(true),
        Expr::Str2 {
            op,
            cs: own,
            negated,
            left,
            right,
        } => Expr::Str2 {
            op,
            cs: own || cs,
            negated,
            left,
            right,
        },
        other => other,
    }
}

/// `left` holding the search term `text`: a whole term (`has`), or by
/// where its `*` wildcards stand, a term's end (`*err`), its start
/// (`err*`), any part (`*err*`) or a pattern between word boundaries
/// (`Lab*PC`).
pub(super) fn term(left: Expr, text: &str, cs: bool) -> Expr {
    let lead = text.starts_with('*');
    let trail = text.len() > 1 && text.ends_with('*');
    let inner = text.trim_matches('*');
    if inner.is_empty() {
        return Expr::Bool(true);
    }
    let (op, right, cs) = if inner.contains('*') {
        let body: Vec<String> = inner.split('*').map(regex::escape).collect();
        let pattern = format!(
            "{}{}{}{}",
            if cs { "" } else { "(?i)" },
            if lead { "" } else { r"\b" },
            body.join(".*"),
            if trail { "" } else { r"\b" },
        );
        (StrOp::MatchesRegex, pattern, true)
    } else {
        let op = match (lead, trail) {
            (true, true) => StrOp::Contains,
            (true, false) => StrOp::HasSuffix,
            (false, true) => StrOp::HasPrefix,
            (false, false) => StrOp::Has,
        };
        (op, inner.to_string(), cs)
    };
    Expr::Str2 {
        op,
        cs,
        negated: false,
        left: Box::new(left),
        right: Box::new(Expr::Str(right)),
    }
}

/// `e` with every comparison of `*` taken as true, for checks that look
/// at the rest.
pub(super) fn without_every_column(e: &Expr) -> Expr {
    match e {
        Expr::Str2 { left, .. } if matches!(**left, Expr::Star) => Expr::Bool(true),
        Expr::Bin(op, a, b) => Expr::Bin(
            *op,
            Box::new(without_every_column(a)),
            Box::new(without_every_column(b)),
        ),
        Expr::Call { name, args, span } => Expr::Call {
            name: name.clone(),
            args: args.iter().map(without_every_column).collect(),
            span: *span,
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::kusto::compile;
    use crate::rules::kusto::eval::Row;
    use crate::rules::kusto::exec::{Exec, Table, Tables};

    fn table(columns: &[&str], rows: &[&[&str]]) -> Table {
        Table::of_text(columns, rows)
    }

    fn tables() -> Tables {
        let mut t = Tables::new();
        t.insert(
            "SigninLogs".into(),
            table(
                &["UserPrincipalName", "IPAddress", "AppDisplayName"],
                &[
                    &["grace.liu@contoso-lab.com", "198.51.100.42", "Azure Portal"],
                    &[
                        "tom.becker@contoso-lab.com",
                        "203.0.113.9",
                        "Microsoft Teams",
                    ],
                ],
            ),
        );
        t.insert(
            "AuditLogs".into(),
            table(
                &["OperationName", "InitiatedBy"],
                &[&[
                    "Add member to role",
                    "Grace.Liu@contoso-lab.com from 198.51.100.42",
                ]],
            ),
        );
        t.insert(
            "AzureActivity".into(),
            table(
                &["Caller", "OperationNameValue"],
                &[&["tom", "X/LISTKEYS/ACTION"]],
            ),
        );
        t
    }

    /// Each result row as `column=value` cells, in the result's order.
    fn run(query: &str) -> Vec<String> {
        let q = compile(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
        let tables = tables();
        let t = Exec::new(&tables, 0).run(&q);
        t.rows
            .iter()
            .map(|r| {
                t.columns
                    .iter()
                    .map(|c| format!("{c}={}", r.get(c).to_text()))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn a_term_is_found_in_any_column_of_every_table_named_by_its_table() {
        let got = run("search \"198.51.100.42\" | project $table");
        assert_eq!(got, ["$table=AuditLogs", "$table=SigninLogs"]);
        // Terms are whole: part of an address is not one.
        assert!(run("search \"198.51\" | project $table").len() == 2);
        assert!(run("search \"98.51\"").is_empty());
    }

    #[test]
    fn wildcards_in_a_term_choose_prefix_suffix_contains_or_a_pattern() {
        assert_eq!(
            run("search \"Micro*\" | project AppDisplayName"),
            ["AppDisplayName=Microsoft Teams"]
        );
        assert_eq!(
            run("search \"*soft\" | project AppDisplayName"),
            ["AppDisplayName=Microsoft Teams"]
        );
        assert_eq!(
            run("search \"*croso*\" | project AppDisplayName"),
            ["AppDisplayName=Microsoft Teams"]
        );
        assert_eq!(
            run("search \"Azure*Portal\" | project AppDisplayName"),
            ["AppDisplayName=Azure Portal"]
        );
        assert!(
            run("search \"zure*Portal\"").is_empty(),
            "a pattern starts a term"
        );
    }

    #[test]
    fn a_column_term_an_exact_match_and_case_sensitivity() {
        assert_eq!(
            run("search in (SigninLogs) UserPrincipalName:\"grace\" | project IPAddress"),
            ["IPAddress=198.51.100.42"]
        );
        assert_eq!(
            run("search IPAddress == \"203.0.113.9\" | project $table, UserPrincipalName"),
            ["$table=SigninLogs UserPrincipalName=tom.becker@contoso-lab.com"]
        );
        // Case-insensitive by default; kind=case_sensitive tells Grace from grace.
        assert_eq!(run("search \"GRACE\" | project $table").len(), 2);
        assert_eq!(
            run("search kind=case_sensitive \"Grace\" | project $table"),
            ["$table=AuditLogs"]
        );
    }

    #[test]
    fn terms_combine_with_conditions_and_search_can_follow_a_pipe() {
        assert_eq!(
            run("search \"contoso\" and not(\"teams\") | project $table"),
            ["$table=AuditLogs", "$table=SigninLogs"]
        );
        assert_eq!(
            run("search \"tom\" or OperationNameValue has \"listkeys\" | project $table"),
            ["$table=AzureActivity", "$table=SigninLogs"]
        );
        assert_eq!(
            run("SigninLogs | search \"teams\" | project $table, IPAddress"),
            ["$table=SigninLogs IPAddress=203.0.113.9"]
        );
        assert_eq!(run("search * | count"), ["Count=4"]);
        assert_eq!(
            run("SigninLogs | where * has \"portal\" | project UserPrincipalName"),
            ["UserPrincipalName=grace.liu@contoso-lab.com"]
        );
        assert_eq!(
            run("SigninLogs | where * !has \"portal\" | count"),
            ["Count=1"]
        );
    }

    #[test]
    fn search_refuses_what_it_cannot_mean() {
        for q in [
            "SigninLogs | search in (AuditLogs) \"x\"",
            "search kind=loose \"x\"",
            "search UserPrincipalName:42",
        ] {
            assert!(compile(q).is_err(), "{q}");
        }
    }
}
