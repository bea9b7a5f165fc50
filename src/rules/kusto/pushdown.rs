//! Which log rows a query can ever look at, decided while the logs load:
//! the tables it names, and for each the filters it applies first
//! (`SigninLogs | where ResultType == 0 | ...`). Rows no use of a table
//! would keep are never stored, so a rule over a busy table holds only
//! the few rows its first `where` lets through. Running the whole query
//! afterwards applies those filters again, so results do not change.

use std::collections::{HashMap, HashSet};

use super::ast::{Arg, BinOp, Expr, FuncBody, Let, Op, Query, Tabular};
use super::eval::{Ctx, Row, eval};
use super::exec::name_matches;
use super::value::KV;

/// Functions whose value depends on more than the row: the clock, row
/// order, randomness.
const CONTEXTUAL: &[&str] = &[
    "now",
    "ago",
    "rand",
    "prev",
    "next",
    "row_cumsum",
    "row_number",
    "row_rank_min",
    "row_rank_dense",
    "row_window_session",
];

#[derive(Default)]
pub struct Pushdown {
    /// Per table: `None` when some use of it needs every row, else the
    /// filters of its uses (a row is kept when one of them holds).
    tables: HashMap<String, Option<Vec<Expr>>>,
    ctx: Ctx,
}

impl Pushdown {
    pub fn of(q: &Query) -> Pushdown {
        let mut names = HashSet::new();
        collect_names(&q.lets, &mut names);
        let mut a = Analysis {
            shadowed: names,
            out: Pushdown::default(),
        };
        a.lets(&q.lets);
        a.tabular(&q.body, &mut Vec::new());
        a.out
    }

    /// The uses of `table`: by its name, and by wildcards (`Signin*`,
    /// `*`) that fit it.
    fn uses<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Option<Vec<Expr>>> + 'a {
        self.tables
            .iter()
            .filter(move |(name, _)| {
                *name == table || (name.contains('*') && name_matches(name, table))
            })
            .map(|(_, filters)| filters)
    }

    /// Whether rows of `table` can matter at all.
    pub fn reads(&self, table: &str) -> bool {
        self.uses(table).next().is_some()
    }

    /// Whether this row of `table` can matter.
    pub fn keeps(&self, table: &str, row: &dyn Row) -> bool {
        self.uses(table).any(|filters| match filters {
            None => true,
            Some(filters) => filters
                .iter()
                .any(|f| matches!(eval(f, row, &self.ctx), KV::Bool(true))),
        })
    }
}

struct Analysis {
    /// `let` names and function parameters: a column reference with one
    /// of these names may not be a column.
    shadowed: HashSet<String>,
    out: Pushdown,
}

fn collect_names(lets: &[Let], names: &mut HashSet<String>) {
    for l in lets {
        match l {
            Let::Scalar(n, _) | Let::Table(n, _) => {
                names.insert(n.clone());
            }
            Let::Func(n, f) => {
                names.insert(n.clone());
                names.extend(f.params.iter().map(|p| p.name.clone()));
                collect_names(&f.lets, names);
            }
        }
    }
}

impl Analysis {
    fn lets(&mut self, lets: &[Let]) {
        for l in lets {
            match l {
                // `let T = SigninLogs;` names a table.
                Let::Scalar(_, Expr::Column(c, _)) if !self.shadowed.contains(c) => {
                    self.use_table(c, None);
                }
                Let::Scalar(_, e) => self.expr(e),
                Let::Table(_, t) => self.tabular(t, &mut Vec::new()),
                Let::Func(_, f) => {
                    self.lets(&f.lets);
                    for p in &f.params {
                        if let Some(d) = &p.default {
                            self.expr(d);
                        }
                    }
                    match &f.body {
                        FuncBody::Scalar(e) => self.expr(e),
                        FuncBody::Tabular(t) => self.tabular(t, &mut Vec::new()),
                    }
                }
            }
        }
    }

    fn use_table(&mut self, name: &str, filter: Option<Expr>) {
        let entry = self
            .out
            .tables
            .entry(name.to_string())
            .or_insert_with(|| Some(Vec::new()));
        match (entry.as_mut(), filter) {
            (Some(fs), Some(f)) => fs.push(f),
            _ => *entry = None,
        }
    }

    /// `wheres` are the filters applied right above `t`, nearest last.
    fn tabular(&mut self, t: &Tabular, wheres: &mut Vec<Expr>) {
        match t {
            Tabular::Source(name, _) => {
                if self.shadowed.contains(name) {
                    return;
                }
                let pushable: Vec<Expr> = wheres
                    .iter()
                    .flat_map(conjuncts)
                    .filter(|e| self.pushable(e))
                    .cloned()
                    .collect();
                let filter = pushable
                    .into_iter()
                    .reduce(|a, b| Expr::Bin(BinOp::And, Box::new(a), Box::new(b)));
                self.use_table(name, filter);
            }
            Tabular::Pipe(src, Op::Where(e)) => {
                self.expr(e);
                wheres.push(e.clone());
                self.tabular(src, wheres);
                wheres.pop();
            }
            Tabular::Pipe(src, op) => {
                for e in op.exprs() {
                    self.expr(e);
                }
                match op {
                    Op::Join { right, .. } => self.tabular(right, &mut Vec::new()),
                    Op::Union(u) => {
                        for p in &u.legs {
                            self.tabular(p, &mut Vec::new());
                        }
                    }
                    Op::MvApply { sub, .. } => self.tabular(sub, &mut Vec::new()),
                    _ => {}
                }
                self.tabular(src, &mut Vec::new());
            }
            Tabular::Union(u) => {
                // A search's predicate filters each leg; one that reads the
                // column naming the leg's table cannot be judged on a row
                // as it loads.
                let named = u.source.clone().filter(|s| self.shadowed.insert(s.clone()));
                if let Some(f) = &u.filter {
                    self.expr(f);
                }
                for p in &u.legs {
                    self.tabular(p, &mut u.filter.iter().cloned().collect());
                }
                if let Some(s) = named {
                    self.shadowed.remove(&s);
                }
            }
            Tabular::Watchlist(alias, _) => self.use_table(alias, None),
            Tabular::Invoke { args, .. } => {
                for a in args {
                    match a {
                        Arg::Scalar(e) => self.expr(e),
                        Arg::Table(t) => self.tabular(t, &mut Vec::new()),
                    }
                }
            }
            Tabular::Datatable { values, .. } => values.iter().for_each(|e| self.expr(e)),
            Tabular::Print(items) => items.iter().for_each(|(_, e)| self.expr(e)),
            Tabular::Range { from, to, step, .. } => {
                for e in [from, to, step] {
                    self.expr(e);
                }
            }
        }
    }

    /// Finds the tables read by `toscalar` subqueries.
    fn expr(&mut self, e: &Expr) {
        let mut subs = Vec::new();
        e.walk(&mut |x| {
            if let Expr::ToScalar(t) | Expr::Values(t) = x {
                subs.push(t.as_ref().clone());
            }
        });
        for t in subs {
            self.tabular(&t, &mut Vec::new());
        }
    }

    /// A condition that reads only the row's own columns and constants.
    fn pushable(&self, e: &Expr) -> bool {
        let mut ok = true;
        e.walk(&mut |x| match x {
            Expr::Column(c, _) if self.shadowed.contains(c) => ok = false,
            Expr::Call { name, .. }
                if CONTEXTUAL.contains(&name.as_str()) || self.shadowed.contains(name) =>
            {
                ok = false
            }
            Expr::ToScalar(_) | Expr::Values(_) => ok = false,
            _ => {}
        });
        ok
    }
}

fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Bin(BinOp::And, a, b) => {
            let mut v = conjuncts(a);
            v.extend(conjuncts(b));
            v
        }
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::kusto::compile;

    struct R(&'static [(&'static str, &'static str)]);

    impl Row for R {
        fn get(&self, name: &str) -> KV {
            self.0
                .iter()
                .find(|(k, _)| *k == name)
                .map_or(KV::Null, |(_, v)| KV::Str(v.to_string()))
        }
    }

    #[test]
    fn keeps_rows_some_use_of_the_table_needs() {
        let q = compile(
            "let ops = dynamic(['a']);\n\
             let recent = SigninLogs | where TimeGenerated > ago(1d) and ResultType == '0';\n\
             AzureActivity | where OperationNameValue =~ 'X/LISTKEYS/ACTION' | extend k = 1 | where k == 1\n\
             | join (AuditLogs | where Category == 'RoleManagement' or OperationName in (ops)) on CorrelationId\n\
             | join (recent) on CorrelationId",
        )
        .unwrap();
        let p = Pushdown::of(&q);
        assert!(p.reads("SigninLogs") && p.reads("AuditLogs") && !p.reads("SecurityEvent"));
        assert!(p.keeps(
            "AzureActivity",
            &R(&[("OperationNameValue", "x/listKeys/action")])
        ));
        assert!(!p.keeps("AzureActivity", &R(&[("OperationNameValue", "x/read")])));
        // `ago` depends on the run's clock: only ResultType is checked.
        assert!(p.keeps("SigninLogs", &R(&[("ResultType", "0")])));
        assert!(!p.keeps("SigninLogs", &R(&[("ResultType", "50126")])));
        // `ops` is a `let`: that condition cannot be decided per row.
        assert!(p.keeps("AuditLogs", &R(&[("Category", "Other")])));
    }

    #[test]
    fn a_bare_use_keeps_every_row() {
        let q = compile("union (SigninLogs | where ResultType == '0'), SigninLogs").unwrap();
        let p = Pushdown::of(&q);
        assert!(p.keeps("SigninLogs", &R(&[("ResultType", "1")])));
    }
}
