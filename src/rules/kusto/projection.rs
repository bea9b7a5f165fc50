//! Which columns a Kusto query can read from its source tables, told from
//! its text, so that rows kept during a streaming pass hold only those.
//! Every column is read for every kept row, so words that cannot be
//! columns (operators, functions, numbers, literal text) are left out;
//! anything that might be one stays in, `let` names included, since a
//! column may share one.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::ast::{Op, Tabular};
use super::tables::all_standard_columns;
use crate::rules::lex::{blank_len, quoted_body};

/// Words of the query language that name operators and their parameters.
/// Only lower-case words no log table uses as a column; a word left out
/// here merely costs one lookup per row.
const KEYWORDS: &[&str] = &[
    "and",
    "anti",
    "as",
    "asc",
    "away",
    "between",
    "by",
    "contains",
    "contains_cs",
    "desc",
    "distinct",
    "endswith",
    "endswith_cs",
    "expand",
    "extend",
    "false",
    "fullouter",
    "has",
    "has_all",
    "has_any",
    "has_cs",
    "hasprefix",
    "hassuffix",
    "in",
    "inner",
    "innerunique",
    "join",
    "left",
    "leftanti",
    "leftouter",
    "leftsemi",
    "let",
    "limit",
    "matches",
    "mv",
    "not",
    "notcontains",
    "nulls",
    "on",
    "or",
    "order",
    "parse",
    "project",
    "regex",
    "rename",
    "reorder",
    "right",
    "rightanti",
    "rightouter",
    "rightsemi",
    "semi",
    "sort",
    "startswith",
    "startswith_cs",
    "summarize",
    "take",
    "true",
    "union",
    "where",
    "with",
];

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Where the scan stands in `partition [hint...] by Column`.
#[derive(Clone, Copy, PartialEq)]
enum Partition {
    None,
    Operator,
    Column,
}

/// The columns a query can read, when they can be told from its text.
/// Rows add their table's standard columns, which results show. A query
/// that can reach columns it does not name (`*`, `pack_all`, `search`)
/// has none.
pub struct Projection {
    pub(super) names: BTreeSet<String>,
    /// `names` and every table's standard columns, sorted: a kept row
    /// stores each value against its position here.
    pub(super) all: Arc<[String]>,
    /// The query's result has only columns it names (it ends in `project`,
    /// `summarize`, `distinct` or `count`): a row's other standard columns
    /// can never show, and are not read.
    pub named_result: bool,
    /// Per source table, the columns its rows are read for, when the
    /// query tells (see `reads`).
    pub(super) per_table: HashMap<String, BTreeSet<String>>,
}

impl Projection {
    /// The names the query may read as columns.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    pub fn of(query: &str, extra: &[String]) -> Option<Projection> {
        let lower = query.to_ascii_lowercase();
        if query.contains('*')
            || [
                "pack_all",
                "search",
                "find",
                "getschema",
                "bag_unpack",
                "autocluster",
                "basket",
                "diffpatterns",
            ]
            .iter()
            .any(|w| lower.contains(w))
        {
            return None;
        }
        let mut names = BTreeSet::new();
        let b = query.as_bytes();
        let mut i = 0;
        // The next literal is a column name: `column_ifexists("X", ...)`
        // or a bracketed name, `['Column name']`.
        let mut literal_names = false;
        let mut partition = Partition::None;
        while i < b.len() {
            i += blank_len(&query[i..], false);
            let Some(&c) = b.get(i) else { break };
            if c == b'"' || c == b'\'' {
                // `@"..."` is verbatim: no escapes; `h"..."` hides its text
                // in logs but is an ordinary literal.
                let verbatim = i > 0 && b[i - 1] == b'@';
                let bracketed =
                    b[..i].iter().rev().find(|x| !x.is_ascii_whitespace()) == Some(&b'[');
                let mut end = i + 1;
                let body = if verbatim {
                    let close = memchr::memchr(c, &b[end..]).map_or(b.len(), |k| end + k);
                    let text = query[end..close].to_string();
                    end = close + 1;
                    Ok(text)
                } else {
                    quoted_body(query, &mut end, c as char)
                };
                match body {
                    Ok(text) => {
                        if literal_names || bracketed {
                            names.insert(text);
                            literal_names = false;
                        }
                        i = end;
                    }
                    // An unclosed quote: the query does not parse, and the
                    // rest of its line is text, not names.
                    Err(_) => i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k),
                }
                continue;
            }
            if !is_word_byte(c) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && is_word_byte(b[i]) {
                i += 1;
            }
            let word = &query[start..i];
            if matches!(word, "h" | "H") && matches!(b.get(i), Some(b'"' | b'\'')) {
                continue;
            }
            // `partition by Column (subquery)`: a column before a
            // parenthesis, not a function.
            let partition_key = partition == Partition::Column;
            partition = match (partition, word) {
                (_, "partition") => Partition::Operator,
                (Partition::Operator, "by") => Partition::Column,
                (Partition::Operator, _) => Partition::Operator,
                _ => Partition::None,
            };
            if query[i..].trim_start().starts_with('(') && !partition_key {
                literal_names |= word == "column_ifexists";
                continue;
            }
            if word.as_bytes()[0].is_ascii_digit() || KEYWORDS.contains(&word) {
                continue;
            }
            names.insert(word.to_string());
        }
        names.extend(extra.iter().cloned());
        let mut all: BTreeSet<String> = names.clone();
        all.extend(all_standard_columns().map(str::to_string));
        Some(Projection {
            names,
            all: all.into_iter().collect(),
            named_result: false,
            per_table: HashMap::new(),
        })
    }

    /// What a rule's query (`q`, parsed from its text) reads: the names
    /// in its text and the columns its entity mappings name, what each
    /// source table is read for, and whether its result holds only
    /// columns it names.
    pub fn for_rule(rule: &crate::rules::Rule, q: &super::ast::Query) -> Option<Projection> {
        let entity_columns: Vec<String> = rule
            .entities
            .iter()
            .flat_map(|m| m.fields.iter().map(|(_, c)| c.clone()))
            .collect();
        Projection::for_query(&rule.query, q, &entity_columns)
    }

    /// What a query (`text`, parsed as `q`) reads, with `extra` columns
    /// read besides.
    pub fn for_query(text: &str, q: &super::ast::Query, extra: &[String]) -> Option<Projection> {
        let mut p = Projection::of(text, extra)?;
        p.per_table = super::reads::of(q).unwrap_or_default();
        p.named_result = names_its_columns(&q.body);
        Some(p)
    }
}

/// Whether every column of a result is one the query names: it was made
/// by `project`, `summarize` and the like, and what follows only filters,
/// orders, renames or adds columns (`top`, `where`, `extend` ...).
fn names_its_columns(t: &Tabular) -> bool {
    let Tabular::Pipe(src, op) = t else {
        return false;
    };
    match op {
        Op::Project(_)
        | Op::ProjectKeep(_)
        | Op::Summarize { .. }
        | Op::MakeSeries(_)
        | Op::Distinct(_)
        | Op::Count(_)
        | Op::TopNested(_)
        | Op::TopHitters { .. }
        | Op::SampleDistinct(..) => true,
        Op::Where(_)
        | Op::Sort(_)
        | Op::Top { .. }
        | Op::Take(_)
        | Op::Sample(_)
        | Op::Extend(_)
        | Op::ProjectAway(_)
        | Op::ProjectRename(_)
        | Op::ProjectReorder(_)
        | Op::As(_) => names_its_columns(src),
        Op::Join { right, .. } => names_its_columns(src) && names_its_columns(right),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Projection;

    #[test]
    fn a_projection_keeps_every_name_the_query_could_read() {
        let p = Projection::of(
            "SigninLogs | where ResultType == \"0\" | extend C = column_ifexists(\"Extra\", \"\") \
             | project [\"Other Name\"], ['Odd Name'], UserPrincipalName",
            &["IPAddress".to_string()],
        )
        .unwrap();
        for name in [
            "ResultType",
            "Extra",
            "Other Name",
            "Odd Name",
            "UserPrincipalName",
            "IPAddress",
        ] {
            assert!(p.names.contains(name), "{name}");
        }
        assert!(!p.names.contains("AppDisplayName"));
    }

    #[test]
    fn operators_functions_let_names_and_literal_text_are_not_columns() {
        let p = Projection::of(
            "let Window = 2h; // the operation's name\n\
             AzureActivity\n\
             | where OperationNameValue has_any (\"listKeys/action\", @\"Microsoft\\Storage\")\n\
             | summarize Calls = count () by bin(TimeGenerated, Window), Caller\n\
             | join kind=inner (AuditLogs | extend Ip = tostring(InitiatedBy.user.ipAddress)) \
               on $left.CallerIpAddress == $right.Ip",
            &[],
        )
        .unwrap();
        let names: Vec<&str> = p.names.iter().map(String::as_str).collect();
        for column in [
            "AzureActivity",
            "OperationNameValue",
            "TimeGenerated",
            "Caller",
            "InitiatedBy",
            "user",
            "ipAddress",
            "CallerIpAddress",
            "Ip",
            "kind",
        ] {
            assert!(names.contains(&column), "{column} in {names:?}");
        }
        for not_column in [
            "operation",
            "where",
            "has_any",
            "listKeys",
            "action",
            "Microsoft",
            "Storage",
            "count",
            "bin",
            "tostring",
            "left",
            "right",
            "on",
            "2h",
            "summarize",
        ] {
            assert!(!names.contains(&not_column), "{not_column} in {names:?}");
        }
    }

    #[test]
    fn a_partition_column_before_its_subquery_is_a_column() {
        let p = Projection::of(
            "SigninLogs | partition hint.strategy=native by UserPrincipalName (summarize n = dcount(IPAddress))\
             | count",
            &[],
        )
        .unwrap();
        assert!(p.names.contains("UserPrincipalName"), "{:?}", p.names);
        // Other words before a parenthesis stay functions.
        assert!(!p.names.contains("dcount"), "{:?}", p.names);
    }

    #[test]
    fn column_names_in_literals_are_read_as_the_query_language_reads_them() {
        let p = Projection::of(
            concat!(
                r#"T | extend a = column_ifexists("Quoted\"Name", ""),"#,
                r#" b = column_ifexists(@'C:\Share', ''), c = h"secret words""#,
                r#" | project ['Odd Name']"#,
            ),
            &[],
        )
        .unwrap();
        let names: Vec<&str> = p.names.iter().map(String::as_str).collect();
        for column in [r#"Quoted"Name"#, r"C:\Share", "Odd Name"] {
            assert!(names.contains(&column), "{column} in {names:?}");
        }
        for not_column in ["secret", "words", "h"] {
            assert!(!names.contains(&not_column), "{not_column} in {names:?}");
        }
    }

    #[test]
    fn queries_that_reach_unnamed_columns_keep_whole_rows() {
        for q in [
            "SigninLogs | project-away *Details",
            "SigninLogs | extend All = pack_all()",
            "search \"185.220.101.47\"",
        ] {
            assert!(Projection::of(q, &[]).is_none(), "{q}");
        }
    }
}
