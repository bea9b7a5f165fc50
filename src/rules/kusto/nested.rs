//! `top-nested`: at each level, the rows within the group above are
//! grouped by a value, each group is ranked by an aggregation, and the top
//! N (optionally with the rest gathered as "others") go down a level.
//! "The three addresses each of the five busiest accounts signed in from"
//! is one query.

use std::collections::HashMap;

use super::ast::NestedLevel;
use super::exec::{Empty, Exec, KRow, Table};
use super::ordering::order;
use super::parser::default_name;
use super::value::KV;
use crate::detect::EventRef;

struct Names {
    of: String,
    agg: String,
}

impl Exec<'_> {
    pub(super) fn top_nested(&mut self, mut t: Table, levels: &[NestedLevel]) -> Table {
        t.materialize();
        let names: Vec<Names> = levels
            .iter()
            .map(|l| {
                let of = l.of.0.clone().unwrap_or_else(|| default_name(&l.of.1));
                let agg = l
                    .agg
                    .0
                    .clone()
                    .unwrap_or_else(|| format!("aggregated_{of}"));
                Names { of, agg }
            })
            .collect();
        let columns = names
            .iter()
            .flat_map(|n| [n.of.clone(), n.agg.clone()])
            .collect();
        let all: Vec<usize> = (0..t.rows.len()).collect();
        let mut rows = Vec::new();
        self.nest(&t, levels, &names, &all, &mut Vec::new(), &mut rows);
        Table { columns, rows }
    }

    fn nest(
        &self,
        t: &Table,
        levels: &[NestedLevel],
        names: &[Names],
        members: &[usize],
        prefix: &mut Vec<(String, KV)>,
        out: &mut Vec<KRow>,
    ) {
        let (Some(level), Some(name)) = (levels.first(), names.first()) else {
            let mut evidence: Vec<EventRef> = members
                .iter()
                .flat_map(|i| t.rows[*i].evidence.iter().copied())
                .collect();
            evidence.sort();
            evidence.dedup();
            out.push(KRow {
                cols: prefix.clone(),
                doc: None,
                evidence,
            });
            return;
        };
        let mut groups: Vec<(KV, Vec<usize>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for &i in members {
            let v = self.ev(&level.of.1, &t.rows[i]);
            let at = *index.entry(v.key()).or_insert_with(|| {
                groups.push((v, Vec::new()));
                groups.len() - 1
            });
            groups[at].1.push(i);
        }
        let aggregate = |rows: &[usize]| {
            let rows: Vec<&KRow> = rows.iter().map(|i| &t.rows[*i]).collect();
            self.aggregate(Some(&name.agg), &level.agg.1, &rows)
                .into_iter()
                .next()
                .map_or(KV::Null, |(_, v)| v)
        };
        let mut ranked: Vec<(KV, KV, Vec<usize>)> = groups
            .into_iter()
            .map(|(v, rows)| (v, aggregate(&rows), rows))
            .collect();
        ranked.sort_by(|a, b| {
            let o = order(&a.1, &b.1);
            if level.desc { o.reverse() } else { o }
        });
        let n = match level.n.as_ref().map(|e| self.ev(e, &Empty)) {
            Some(KV::Long(n)) => usize::try_from(n).unwrap_or(0),
            Some(v) => v.as_f64().map_or(usize::MAX, |f| f.max(0.0) as usize),
            None => usize::MAX,
        };
        let rest: Vec<usize> = ranked
            .iter()
            .skip(n)
            .flat_map(|(_, _, rows)| rows.iter().copied())
            .collect();
        for (v, agg, rows) in ranked.into_iter().take(n) {
            prefix.push((name.of.clone(), v));
            prefix.push((name.agg.clone(), agg));
            self.nest(t, &levels[1..], &names[1..], &rows, prefix, out);
            prefix.truncate(prefix.len() - 2);
        }
        if let Some(others) = &level.others
            && !rest.is_empty()
        {
            prefix.push((name.of.clone(), self.ev(others, &Empty)));
            prefix.push((name.agg.clone(), aggregate(&rest)));
            self.nest(t, &levels[1..], &names[1..], &rest, prefix, out);
            prefix.truncate(prefix.len() - 2);
        }
    }
}
