//! Which columns a query reads from the rows of each source table. A row
//! kept while logs load holds the values its table's uses can read, not
//! every name the query spells: in
//! `SigninLogs | where ResultType == "0" | summarize n = count() by IPAddress`
//! a sign-in row is read for `ResultType` and `IPAddress` only, and the
//! names the query defines later (`n`, its `let` names, other tables'
//! columns) are never looked up in it.
//!
//! The analysis follows each use of a table from its source through the
//! operators it understands, until one replaces the columns (`project`,
//! `summarize`, `distinct`, `count`). A use whose rows flow on with their
//! columns (into a `let` name, a join's right side, a union, the result)
//! can be read for anything, and so can every table when the query holds
//! something the analysis does not follow.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::ast::{Expr, Let, Op, Query, Tabular};

/// Per source table, the columns its rows are read for; a table missing
/// from the map is read for anything. `None` when the query is beyond the
/// analysis.
pub fn of(q: &Query) -> Option<HashMap<String, BTreeSet<String>>> {
    let mut lets = HashSet::new();
    for l in &q.lets {
        match l {
            Let::Scalar(n, e) => {
                lets.insert(n.clone());
                if has_subquery(e) {
                    return None;
                }
            }
            Let::Table(n, _) => {
                lets.insert(n.clone());
            }
            Let::Func(..) => return None,
        }
    }
    let mut a = Analysis {
        lets,
        aliases: HashMap::new(),
        reads: HashMap::new(),
        open: HashSet::new(),
    };
    for l in &q.lets {
        if let Let::Table(name, t) = l {
            let (root, ops) = unpipe(t);
            // A join's right side or a union's legs are followed once,
            // here, whatever later uses build on this name.
            a.subqueries(&ops)?;
            let table = match root {
                Tabular::Source(src, _) if !a.lets.contains(src) => {
                    Some((src.clone(), ops.clone()))
                }
                Tabular::Source(src, _) => a.aliases.get(src).map(|(table, before)| {
                    let mut all = before.clone();
                    all.extend(&ops);
                    (table.clone(), all)
                }),
                _ => None,
            };
            match table {
                // A table's rows under another name: its uses are uses of
                // the table, its operators their first.
                Some(alias) => {
                    a.aliases.insert(name.clone(), alias);
                }
                None => a.root(root, &ops)?,
            }
        }
    }
    a.tabular(&q.body)?;
    let Analysis { reads, open, .. } = a;
    Some(
        reads
            .into_iter()
            .filter(|(t, _)| !open.contains(t))
            .collect(),
    )
}

struct Analysis<'q> {
    lets: HashSet<String>,
    /// `let` names that stand for a table's rows after some operators.
    aliases: HashMap<String, (String, Vec<&'q Op>)>,
    reads: HashMap<String, BTreeSet<String>>,
    /// Tables some use of which lets rows flow on with their columns.
    open: HashSet<String>,
}

fn has_subquery(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| found |= matches!(x, Expr::ToScalar(_) | Expr::Values(_)));
    found
}

/// The column names an expression reads (`$left.X` and `$right.X` read
/// `X`).
fn columns(e: &Expr, out: &mut BTreeSet<String>) {
    e.walk(&mut |x| match x {
        Expr::Column(c, _) if c != "$left" && c != "$right" => {
            out.insert(c.clone());
        }
        Expr::Member(base, name)
            if matches!(base.as_ref(), Expr::Column(c, _) if c == "$left" || c == "$right") =>
        {
            out.insert(name.clone());
        }
        _ => {}
    });
}

/// A pipeline's source and its operators, in order.
fn unpipe(t: &Tabular) -> (&Tabular, Vec<&Op>) {
    let mut ops = Vec::new();
    let mut root = t;
    while let Tabular::Pipe(inner, op) = root {
        ops.push(op);
        root = inner;
    }
    ops.reverse();
    (root, ops)
}

impl<'q> Analysis<'q> {
    /// Follows the tables that operators run as subqueries (a join's
    /// right side, a union's legs).
    fn subqueries(&mut self, ops: &[&'q Op]) -> Option<()> {
        for op in ops {
            if op.exprs().into_iter().any(has_subquery) {
                return None;
            }
            match op {
                Op::Join { right, .. } => self.tabular(right)?,
                Op::Union(u) => u.legs.iter().try_for_each(|t| self.tabular(t))?,
                Op::MvApply { .. } => return None,
                _ => {}
            }
        }
        Some(())
    }

    /// Follows every use of a table within `t`; `None` when `t` holds
    /// what the analysis does not follow.
    fn tabular(&mut self, t: &'q Tabular) -> Option<()> {
        let (root, ops) = unpipe(t);
        self.subqueries(&ops)?;
        self.root(root, &ops)
    }

    /// Follows a pipeline's source through its operators (their subqueries
    /// already followed).
    fn root(&mut self, root: &'q Tabular, ops: &[&'q Op]) -> Option<()> {
        match root {
            Tabular::Source(name, _) if self.aliases.contains_key(name) => {
                let (table, before) = &self.aliases[name];
                let (table, mut all) = (table.clone(), before.clone());
                all.extend(ops);
                self.chain(&table, &all);
            }
            Tabular::Source(name, _) if !self.lets.contains(name) => self.chain(name, ops),
            Tabular::Source(..) | Tabular::Datatable { .. } | Tabular::Print(_) => {}
            Tabular::Range { from, to, step, .. } => {
                if [from, to, step].into_iter().any(has_subquery) {
                    return None;
                }
            }
            // A search reads every column of its legs.
            Tabular::Union(u) if u.filter.is_some() => return None,
            Tabular::Union(u) => u.legs.iter().try_for_each(|t| self.tabular(t))?,
            Tabular::Invoke { .. } | Tabular::Pipe(..) | Tabular::Watchlist(..) => return None,
        }
        Some(())
    }

    /// One use of table `table`: the columns read before its columns are
    /// replaced, or the table left open when they never are.
    fn chain(&mut self, table: &str, ops: &[&Op]) {
        let mut read = BTreeSet::new();
        let mut defined: HashSet<&str> = HashSet::new();
        let mut closed = false;
        for op in ops {
            let mut names = BTreeSet::new();
            op.exprs().into_iter().for_each(|e| columns(e, &mut names));
            match op {
                Op::Project(items) => names.extend(
                    items
                        .iter()
                        .filter(|(_, e)| e.is_none())
                        .map(|(n, _)| n.clone()),
                ),
                Op::Distinct(list) | Op::ProjectKeep(list) => names.extend(list.iter().cloned()),
                Op::ProjectRename(pairs) => names.extend(pairs.iter().map(|(_, old)| old.clone())),
                _ => {}
            }
            read.extend(names.into_iter().filter(|n| !defined.contains(n.as_str())));
            match op {
                Op::Project(_)
                | Op::Summarize { .. }
                | Op::MakeSeries(_)
                | Op::Distinct(_)
                | Op::Count(_) => {
                    closed = true;
                    break;
                }
                Op::Extend(items) => {
                    defined.extend(items.iter().filter_map(|(n, _)| n.as_deref()));
                }
                Op::ProjectRename(pairs) => {
                    defined.extend(pairs.iter().map(|(new, _)| new.as_str()))
                }
                Op::Where(_)
                | Op::Sort(_)
                | Op::Top { .. }
                | Op::Take(_)
                | Op::Sample(_)
                | Op::Join { .. }
                | Op::MvExpand(_)
                | Op::ProjectAway(_)
                | Op::ProjectKeep(_) => {}
                // Parsing, renaming by value, plugins and the rest: rows
                // may be read for anything after them.
                _ => break,
            }
        }
        self.reads
            .entry(table.to_string())
            .or_default()
            .extend(read);
        if !closed {
            self.open.insert(table.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::kusto::parser::parse;

    fn reads(q: &str) -> Option<HashMap<String, BTreeSet<String>>> {
        of(&parse(q).expect("query parses"))
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_table_is_read_for_what_its_uses_read_before_summarize() {
        let r = reads(
            "let Signins = SigninLogs | where ResultType == \"0\"
                 | summarize SigninCount = count(), FirstSignin = min(TimeGenerated) by UserPrincipalName, IPAddress;
             let Roles = AuditLogs | where Category =~ \"RoleManagement\"
                 | extend InitiatorIp = tostring(InitiatedBy.user.ipAddress)
                 | where isnotempty(InitiatorIp)
                 | summarize n = count() by InitiatorIp;
             Signins | join kind=inner Roles on $left.IPAddress == $right.InitiatorIp
             | project UserPrincipalName, IPAddress, n",
        )
        .expect("followed");
        assert_eq!(
            r["SigninLogs"],
            set(&[
                "IPAddress",
                "ResultType",
                "TimeGenerated",
                "UserPrincipalName"
            ])
        );
        assert_eq!(r["AuditLogs"], set(&["Category", "InitiatedBy"]));
    }

    #[test]
    fn a_let_name_for_a_tables_rows_is_followed_into_each_use() {
        let r = reads(
            "let Successful = SigninLogs | where ResultType == \"0\" | extend Country = tostring(Location);
             let Shared = Successful | summarize Users = dcount(UserPrincipalName) by IPAddress;
             Successful | join kind=leftanti Shared on IPAddress
             | project TimeGenerated, UserPrincipalName, Country",
        )
        .expect("followed");
        assert_eq!(
            r["SigninLogs"],
            set(&[
                "IPAddress",
                "Location",
                "ResultType",
                "TimeGenerated",
                "UserPrincipalName"
            ])
        );
    }

    #[test]
    fn rows_that_flow_on_with_their_columns_are_read_for_anything() {
        let r = reads("SigninLogs | where ResultType == \"0\" | extend c = 1").expect("followed");
        assert!(!r.contains_key("SigninLogs"), "{r:?}");
        let r = reads(
            "let Successful = SigninLogs | where ResultType == \"0\";
             Successful | where UserPrincipalName != \"\"",
        )
        .expect("followed");
        assert!(!r.contains_key("SigninLogs"), "{r:?}");
        let r = reads("AzureActivity | where Caller != \"\" | join (SigninLogs | where ResultType == 0) on $left.CallerIpAddress == $right.IPAddress | project Caller")
            .expect("followed");
        assert_eq!(
            r["AzureActivity"],
            set(&["Caller", "CallerIpAddress", "IPAddress"])
        );
        assert!(
            !r.contains_key("SigninLogs"),
            "a join's right side flows on"
        );
    }

    #[test]
    fn subqueries_and_functions_are_beyond_the_analysis() {
        assert!(
            reads("let m = toscalar(SigninLogs | count); SigninLogs | where 1 < m | count")
                .is_none()
        );
        assert!(
            reads("let f = (x:long) { x + 1 }; SigninLogs | extend y = f(1) | project y").is_none()
        );
    }
}
