//! Exceptions as Sentinel takes them: the Kusto condition to append to
//! an analytic rule's query (`| where not(...)`), with field names as the
//! Log Analytics tables spell them where the mapping knows the table.

use super::{Entry, Exception, Op};

/// A Kusto string literal.
fn lit(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A column reference Kusto accepts whatever the name holds.
fn column(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if plain && !name.starts_with(|c: char| c.is_ascii_digit()) {
        name.to_string()
    } else {
        format!("['{}']", name.replace('\'', "\\'"))
    }
}

/// Wildcards become a regular expression anchored at both ends.
fn regex_of(pattern: &str) -> String {
    let mut out = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if c.is_ascii_alphanumeric() || c == ' ' || c == '_' || c == '-' => out.push(c),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out.push('$');
    out
}

/// One entry as a Kusto condition. A nested entry needs its array
/// expanded first: that goes into `before` as an `mv-apply` that counts
/// the items meeting the inner conditions, and the condition tests the
/// count.
fn condition(e: &Entry, rename: &dyn Fn(&str) -> String, before: &mut Vec<String>) -> String {
    let col = column(&rename(&e.field));
    let f = format!("tostring({col})");
    let list = |v: &[String]| v.iter().map(|x| lit(x)).collect::<Vec<_>>().join(", ");
    match &e.op {
        Op::Is(v) => format!("{f} == {}", lit(v)),
        Op::IsNot(v) => format!("{f} != {}", lit(v)),
        Op::IsOneOf(v) => format!("{f} in ({})", list(v)),
        Op::IsNotOneOf(v) => format!("{f} !in ({})", list(v)),
        Op::Matches(p) => format!("{f} matches regex {}", lit(&regex_of(p))),
        Op::DoesNotMatch(p) => format!("not({f} matches regex {})", lit(&regex_of(p))),
        Op::Exists => format!("isnotempty({col})"),
        Op::DoesNotExist => format!("isempty({col})"),
        Op::Nested(inner) => {
            let count = format!("vigil_nested_{}", before.len());
            let mut deeper = Vec::new();
            let parts: Vec<String> = inner
                .iter()
                .map(|i| {
                    let sub = Entry {
                        field: format!("vigil_item.{}", i.field),
                        op: i.op.clone(),
                    };
                    condition(&sub, &|n| n.to_string(), &mut deeper)
                })
                .collect();
            before.extend(deeper);
            before.push(format!(
                "| mv-apply vigil_item = todynamic({col}) on (summarize {count} = countif({}))",
                parts.join(" and ")
            ));
            format!("{count} > 0")
        }
    }
}

/// The lines to append to a Sentinel query so it drops what `e` drops.
/// `rename` turns a field into the table's column name.
pub fn where_clause(e: &Exception, rename: &dyn Fn(&str) -> String) -> String {
    let mut before = Vec::new();
    let all: Vec<String> = e
        .entries
        .iter()
        .map(|x| condition(x, rename, &mut before))
        .collect();
    let counts: Vec<String> = (0..before.len())
        .map(|n| format!("vigil_nested_{n}"))
        .collect();
    before.push(format!("| where not({})", all.join(" and ")));
    if !counts.is_empty() {
        before.push(format!("| project-away {}", counts.join(", ")));
    }
    before.join("\n")
}

#[cfg(test)]
mod tests {
    use super::super::{Scope, file::from_toml};
    use super::*;

    #[test]
    fn an_exception_becomes_a_where_not_clause_with_escaped_values() {
        let (found, errors) = from_toml(
            "x.toml",
            r#"
[[exception]]
name = "x"
[[exception.entry]]
field = "Caller"
operator = "is"
value = "svc \"rotate\""
[[exception.entry]]
field = "CallerIpAddress"
operator = "is one of"
value = ["20.50.2.10", "20.50.2.11"]
[[exception.entry]]
field = "OperationNameValue"
operator = "matches"
value = "MICROSOFT.STORAGE/*/REGENERATEKEY/ACTION"
[[exception.entry]]
field = "Properties.x-ms"
operator = "does not exist"
"#,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(found[0].scope, Scope::All);
        let w = where_clause(&found[0], &|f| f.to_string());
        assert_eq!(
            w,
            "| where not(tostring(Caller) == \"svc \\\"rotate\\\"\" and \
             tostring(CallerIpAddress) in (\"20.50.2.10\", \"20.50.2.11\") and \
             tostring(OperationNameValue) matches regex \"^MICROSOFT\\\\.STORAGE\\\\/.*\\\\/REGENERATEKEY\\\\/ACTION$\" and \
             isempty(['Properties.x-ms']))"
        );
    }
}
