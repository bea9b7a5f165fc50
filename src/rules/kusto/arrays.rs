//! Kusto's array and property-bag functions (building, slicing, sorting,
//! sets, rotating, zipping, Jaccard, bag keys) and the element-wise
//! `series_*` functions over numeric arrays.

use serde_json::Value as Json;

use super::eval::{cmp, equal, plain, text};
use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("pack_array", 0, 64),
    ("array_concat", 1, 64),
    ("array_sort_asc", 1, 64),
    ("array_sort_desc", 1, 64),
    ("array_reverse", 1, 1),
    ("array_slice", 3, 3),
    ("array_index_of", 2, 4),
    ("array_sum", 1, 1),
    ("array_iff", 3, 3),
    ("array_iif", 3, 3),
    ("strcat_array", 2, 2),
    ("set_union", 1, 64),
    ("set_intersect", 1, 64),
    ("set_difference", 1, 64),
    ("bag_has_key", 2, 2),
    ("bag_pack", 0, 64),
    ("pack", 0, 64),
    ("array_rotate_left", 2, 2),
    ("array_rotate_right", 2, 2),
    ("array_shift_left", 2, 3),
    ("array_shift_right", 2, 3),
    ("array_split", 2, 2),
    ("zip", 2, 16),
    ("jaccard_index", 2, 2),
    ("bag_remove_keys", 2, 2),
    ("series_abs", 1, 1),
    ("series_acos", 1, 1),
    ("series_asin", 1, 1),
    ("series_atan", 1, 1),
    ("series_ceiling", 1, 1),
    ("series_floor", 1, 1),
    ("series_cos", 1, 1),
    ("series_sin", 1, 1),
    ("series_tan", 1, 1),
    ("series_exp", 1, 1),
    ("series_log", 1, 1),
    ("series_sign", 1, 1),
    ("series_add", 2, 2),
    ("series_subtract", 2, 2),
    ("series_multiply", 2, 2),
    ("series_divide", 2, 2),
    ("series_pow", 2, 2),
    ("series_greater", 2, 2),
    ("series_greater_equals", 2, 2),
    ("series_less", 2, 2),
    ("series_less_equals", 2, 2),
    ("series_equals", 2, 2),
    ("series_not_equals", 2, 2),
    ("series_fill_const", 2, 3),
    ("series_fill_forward", 1, 2),
    ("series_fill_backward", 1, 2),
    ("series_pearson_correlation", 2, 2),
];

fn long(v: Option<&KV>) -> Option<i64> {
    match v? {
        KV::Long(n) => Some(*n),
        KV::Real(f) => Some(*f as i64),
        KV::Dyn(j) => j.as_i64(),
        _ => None,
    }
}

/// `series_op(a, b)` where either side may be a scalar.
fn zip_numbers(a: &KV, b: &KV, f: impl Fn(f64, f64) -> Json) -> Option<KV> {
    let side = |v: &KV| -> Option<Result<Vec<Json>, f64>> {
        match v.clone().into_array() {
            Some(a) => Some(Ok(a)),
            None => v.as_f64().map(Err),
        }
    };
    let (x, y) = (side(a)?, side(b)?);
    let len = match (&x, &y) {
        (Ok(p), Ok(q)) => p.len().max(q.len()),
        (Ok(p), Err(_)) | (Err(_), Ok(p)) => p.len(),
        (Err(_), Err(_)) => return None,
    };
    let at = |s: &Result<Vec<Json>, f64>, i: usize| match s {
        Ok(v) => v.get(i).and_then(Json::as_f64),
        Err(c) => Some(*c),
    };
    Some(KV::Dyn(Json::Array(
        (0..len)
            .map(|i| match (at(&x, i), at(&y, i)) {
                (Some(p), Some(q)) => f(p, q),
                _ => Json::Null,
            })
            .collect(),
    )))
}

fn map_numbers(v: &KV, f: impl Fn(f64) -> f64) -> Option<KV> {
    Some(KV::Dyn(Json::Array(
        v.clone()
            .into_array()?
            .iter()
            .map(|x| x.as_f64().map_or(Json::Null, |n| KV::Real(f(n)).to_dyn()))
            .collect(),
    )))
}

/// Removes a key given as a name or a JSONPath (`$.a.b`, `$['a']`).
fn remove_path(bag: &mut Json, path: &str) {
    let parts: Vec<String> = match path.strip_prefix('$') {
        Some(rest) => rest
            .split(['.', '[', ']'])
            .map(|p| p.trim_matches(['\'', '"']).to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        None => vec![path.to_string()],
    };
    let Some((last, walk)) = parts.split_last() else {
        return;
    };
    let mut cur = bag;
    for p in walk {
        match cur.get_mut(p.as_str()) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Json::Object(m) = cur {
        m.shift_remove(last.as_str());
    }
}

fn fill(a: &mut [Json], forward: bool) {
    let mut last: Option<Json> = None;
    let idx: Vec<usize> = if forward {
        (0..a.len()).collect()
    } else {
        (0..a.len()).rev().collect()
    };
    for i in idx {
        if a[i].is_null() {
            if let Some(v) = &last {
                a[i] = v.clone();
            }
        } else {
            last = Some(a[i].clone());
        }
    }
}

/// The functions every query leans on: arrays and bags built, joined,
/// sliced, sorted and searched, and sets. `None` for other names.
fn basic(name: &str, args: &[KV]) -> Option<KV> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(KV::Null);
    let parg = |i: usize| plain(arg(i));
    Some(match name {
        "pack_array" => KV::Dyn(Json::Array(
            (0..args.len()).map(|i| arg(i).to_dyn()).collect(),
        )),
        "array_concat" => {
            let mut out = Vec::new();
            for i in 0..args.len() {
                match arg(i).into_array() {
                    Some(a) => out.extend(a),
                    None => return Some(KV::Null),
                }
            }
            KV::Dyn(Json::Array(out))
        }
        // Sorted within each type (numbers, then text, ...), nulls last.
        "array_sort_asc" | "array_sort_desc" => sort(name == "array_sort_desc", args),
        "array_reverse" => arg(0).into_array().map_or(KV::Null, |mut a| {
            a.reverse();
            KV::Dyn(Json::Array(a))
        }),
        "array_slice" => match (arg(0).into_array(), parg(1), parg(2)) {
            (Some(a), KV::Long(s), KV::Long(e)) => {
                let n = a.len() as i64;
                let fix = |i: i64| if i < 0 { (n + i).max(0) } else { i.min(n) };
                let (s, e) = (fix(s), fix(e).min(n - 1));
                if s > e || n == 0 {
                    KV::Dyn(Json::Array(Vec::new()))
                } else {
                    KV::Dyn(Json::Array(a[s as usize..=e as usize].to_vec()))
                }
            }
            _ => KV::Null,
        },
        "array_index_of" => match arg(0).into_array() {
            Some(a) => {
                let x = plain(arg(1));
                KV::Long(
                    a.iter()
                        .position(|j| equal(&plain(KV::from_json(j)), &x, false) == Some(true))
                        .map_or(-1, |i| i as i64),
                )
            }
            None => KV::Null,
        },
        "array_sum" => arg(0).into_array().map_or(KV::Null, |a| {
            let vals: Vec<f64> = a.iter().filter_map(Json::as_f64).collect();
            if vals.len() < a.len() {
                KV::Null
            } else {
                KV::Real(vals.iter().sum())
            }
        }),
        "array_iff" | "array_iif" => match (arg(0).into_array(), arg(1), arg(2)) {
            (Some(c), t, f) => {
                let pick = |v: &KV, i: usize| match v {
                    KV::Dyn(Json::Array(a)) => a.get(i).cloned().unwrap_or(Json::Null),
                    other => other.to_dyn(),
                };
                KV::Dyn(Json::Array(
                    c.iter()
                        .enumerate()
                        .map(|(i, b)| match b {
                            Json::Bool(true) => pick(&t, i),
                            Json::Bool(false) => pick(&f, i),
                            Json::Number(n) if n.as_f64().is_some_and(|x| x != 0.0) => pick(&t, i),
                            Json::Number(_) => pick(&f, i),
                            _ => Json::Null,
                        })
                        .collect(),
                ))
            }
            _ => KV::Null,
        },
        "strcat_array" => match arg(0).into_array() {
            Some(a) => KV::Str(
                a.iter()
                    .map(|j| KV::from_json(j).to_text())
                    .collect::<Vec<_>>()
                    .join(&text(&parg(1))),
            ),
            None => KV::Null,
        },
        "set_union" | "set_intersect" | "set_difference" => {
            let sets: Vec<Vec<Json>> = (0..args.len())
                .filter_map(|i| arg(i).into_array())
                .collect();
            if sets.len() != args.len() {
                return Some(KV::Null);
            }
            let key = |j: &Json| plain(KV::from_json(j)).key();
            let mut out: Vec<Json> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            match name {
                "set_union" => {
                    for j in sets.iter().flatten() {
                        if seen.insert(key(j)) {
                            out.push(j.clone());
                        }
                    }
                }
                "set_intersect" => {
                    for j in &sets[0] {
                        if sets[1..].iter().all(|s| s.iter().any(|x| key(x) == key(j)))
                            && seen.insert(key(j))
                        {
                            out.push(j.clone());
                        }
                    }
                }
                _ => {
                    for j in &sets[0] {
                        if !sets[1..].iter().any(|s| s.iter().any(|x| key(x) == key(j)))
                            && seen.insert(key(j))
                        {
                            out.push(j.clone());
                        }
                    }
                }
            }
            KV::Dyn(Json::Array(out))
        }
        "bag_has_key" => match arg(0) {
            KV::Dyn(j @ Json::Object(_)) => {
                let key = text(&parg(1));
                // `$.a.b` is a path into the bag.
                let path: Vec<&str> = match key.strip_prefix("$.") {
                    Some(p) => p.split('.').collect(),
                    None => vec![key.as_str()],
                };
                let mut cur = &j;
                for k in path {
                    match cur.get(k) {
                        Some(next) => cur = next,
                        None => return Some(KV::Bool(false)),
                    }
                }
                KV::Bool(true)
            }
            _ => KV::Null,
        },
        "bag_pack" | "pack" => {
            let mut m = serde_json::Map::new();
            let mut i = 0;
            while i + 1 < args.len() {
                m.insert(text(&parg(i)), arg(i + 1).to_dyn());
                i += 2;
            }
            KV::Dyn(Json::Object(m))
        }
        _ => return None,
    })
}

/// `array_sort_asc(a1, ..., aN, nulls_last)`: the first array sorted,
/// within each kind of element (numbers, then booleans, then text, then
/// the rest), with nulls last unless told otherwise. Given more arrays,
/// the result is an array of them all, each put in the first one's new
/// order, and null in place of one whose length differs.
fn sort(desc: bool, args: &[KV]) -> KV {
    let arrays = args
        .iter()
        .take_while(|a| matches!(a, KV::Dyn(Json::Array(_))))
        .count()
        .max(1);
    let nulls_last = match args.get(arrays).map(|a| plain(a.clone())) {
        None => true,
        Some(KV::Bool(b)) => b,
        Some(_) => return KV::Null,
    };
    let Some(first) = args[0].clone().into_array() else {
        return KV::Null;
    };
    let rank = |j: &Json| match j {
        Json::Number(_) => 1,
        Json::Bool(_) => 2,
        Json::String(_) => 3,
        Json::Null if nulls_last => 9,
        Json::Null => 0,
        _ => 4,
    };
    let mut order: Vec<usize> = (0..first.len()).collect();
    order.sort_by(|&x, &y| {
        let (x, y) = (&first[x], &first[y]);
        rank(x).cmp(&rank(y)).then_with(|| {
            let o = cmp(&plain(KV::from_json(x)), &plain(KV::from_json(y)))
                .unwrap_or(std::cmp::Ordering::Equal);
            if desc { o.reverse() } else { o }
        })
    });
    let reorder = |a: &[Json]| Json::Array(order.iter().map(|&i| a[i].clone()).collect());
    if arrays == 1 {
        return KV::Dyn(reorder(&first));
    }
    let all = args[..arrays].iter().map(|a| match a {
        KV::Dyn(Json::Array(a)) if a.len() == first.len() => reorder(a),
        _ => Json::Null,
    });
    KV::Dyn(Json::Array(all.collect()))
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    if let Some(v) = basic(name, args) {
        return Some(v);
    }
    let out = match name {
        "array_rotate_left" | "array_rotate_right" => {
            let mut a = args[0].clone().into_array()?;
            let n = long(args.get(1))?;
            if !a.is_empty() {
                let len = a.len() as i64;
                let left = if name == "array_rotate_left" { n } else { -n };
                a.rotate_left(left.rem_euclid(len) as usize);
            }
            Some(KV::Dyn(Json::Array(a)))
        }
        "array_shift_left" | "array_shift_right" => {
            let a = args[0].clone().into_array()?;
            let n = long(args.get(1))?;
            let fill = args.get(2).map_or(Json::Null, KV::to_dyn);
            let shift = if name == "array_shift_right" { n } else { -n };
            let len = a.len() as i64;
            Some(KV::Dyn(Json::Array(
                (0..len)
                    .map(|i| {
                        let from = i - shift;
                        if (0..len).contains(&from) {
                            a[from as usize].clone()
                        } else {
                            fill.clone()
                        }
                    })
                    .collect(),
            )))
        }
        "array_split" => {
            let a = args[0].clone().into_array()?;
            let mut cuts: Vec<usize> = match &args[1] {
                KV::Dyn(Json::Array(ix)) => ix
                    .iter()
                    .filter_map(Json::as_i64)
                    .map(|i| if i < 0 { a.len() as i64 + i } else { i })
                    .map(|i| i.clamp(0, a.len() as i64) as usize)
                    .collect(),
                other => {
                    let i = long(Some(other))?;
                    let i = if i < 0 { a.len() as i64 + i } else { i };
                    vec![i.clamp(0, a.len() as i64) as usize]
                }
            };
            cuts.sort_unstable();
            let mut out = Vec::new();
            let mut from = 0;
            for c in cuts.into_iter().chain([a.len()]) {
                out.push(Json::Array(a[from..c.max(from)].to_vec()));
                from = c.max(from);
            }
            Some(KV::Dyn(Json::Array(out)))
        }
        "zip" => {
            let arrays: Vec<Vec<Json>> = args
                .iter()
                .map(|v| v.clone().into_array())
                .collect::<Option<_>>()?;
            let len = arrays.iter().map(Vec::len).max().unwrap_or(0);
            Some(KV::Dyn(Json::Array(
                (0..len)
                    .map(|i| {
                        Json::Array(
                            arrays
                                .iter()
                                .map(|a| a.get(i).cloned().unwrap_or(Json::Null))
                                .collect(),
                        )
                    })
                    .collect(),
            )))
        }
        "jaccard_index" => {
            let set = |v: &KV| -> Option<Vec<String>> {
                let mut s: Vec<String> = v
                    .clone()
                    .into_array()?
                    .iter()
                    .map(Json::to_string)
                    .collect();
                s.sort();
                s.dedup();
                Some(s)
            };
            let (a, b) = (set(&args[0])?, set(&args[1])?);
            let inter = a.iter().filter(|x| b.contains(x)).count();
            let union = a.len() + b.len() - inter;
            Some(if union == 0 {
                KV::Real(f64::NAN)
            } else {
                KV::Real(inter as f64 / union as f64)
            })
        }
        "bag_remove_keys" => {
            let KV::Dyn(mut bag @ Json::Object(_)) = args[0].clone() else {
                return Some(KV::Null);
            };
            for k in args[1].clone().into_array().unwrap_or_default() {
                if let Some(k) = k.as_str() {
                    remove_path(&mut bag, k);
                }
            }
            Some(KV::Dyn(bag))
        }
        "series_abs" => map_numbers(&args[0], f64::abs),
        "series_acos" => map_numbers(&args[0], f64::acos),
        "series_asin" => map_numbers(&args[0], f64::asin),
        "series_atan" => map_numbers(&args[0], f64::atan),
        "series_ceiling" => map_numbers(&args[0], f64::ceil),
        "series_floor" => map_numbers(&args[0], f64::floor),
        "series_cos" => map_numbers(&args[0], f64::cos),
        "series_sin" => map_numbers(&args[0], f64::sin),
        "series_tan" => map_numbers(&args[0], f64::tan),
        "series_exp" => map_numbers(&args[0], f64::exp),
        "series_log" => map_numbers(&args[0], f64::ln),
        "series_sign" => map_numbers(&args[0], |x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }),
        "series_add" => zip_numbers(&args[0], &args[1], |a, b| KV::Real(a + b).to_dyn()),
        "series_subtract" => zip_numbers(&args[0], &args[1], |a, b| KV::Real(a - b).to_dyn()),
        "series_multiply" => zip_numbers(&args[0], &args[1], |a, b| KV::Real(a * b).to_dyn()),
        "series_divide" => zip_numbers(&args[0], &args[1], |a, b| KV::Real(a / b).to_dyn()),
        "series_pow" => zip_numbers(&args[0], &args[1], |a, b| KV::Real(a.powf(b)).to_dyn()),
        "series_greater" => zip_numbers(&args[0], &args[1], |a, b| Json::Bool(a > b)),
        "series_greater_equals" => zip_numbers(&args[0], &args[1], |a, b| Json::Bool(a >= b)),
        "series_less" => zip_numbers(&args[0], &args[1], |a, b| Json::Bool(a < b)),
        "series_less_equals" => zip_numbers(&args[0], &args[1], |a, b| Json::Bool(a <= b)),
        "series_equals" => zip_numbers(&args[0], &args[1], |a, b| Json::Bool(a == b)),
        "series_not_equals" => zip_numbers(&args[0], &args[1], |a, b| Json::Bool(a != b)),
        "series_fill_const" => {
            let mut a = args[0].clone().into_array()?;
            let c = args.get(1).map_or(Json::Null, KV::to_dyn);
            let missing = args.get(2).map(KV::to_dyn);
            for v in &mut a {
                let gap = match &missing {
                    Some(m) => v == m,
                    None => v.is_null(),
                };
                if gap {
                    *v = c.clone();
                }
            }
            Some(KV::Dyn(Json::Array(a)))
        }
        "series_fill_forward" | "series_fill_backward" => {
            let mut a = args[0].clone().into_array()?;
            fill(&mut a, name == "series_fill_forward");
            Some(KV::Dyn(Json::Array(a)))
        }
        "series_pearson_correlation" => {
            let x: Vec<f64> = args[0]
                .clone()
                .into_array()?
                .iter()
                .filter_map(Json::as_f64)
                .collect();
            let y: Vec<f64> = args[1]
                .clone()
                .into_array()?
                .iter()
                .filter_map(Json::as_f64)
                .collect();
            if x.len() != y.len() || x.is_empty() {
                return Some(KV::Null);
            }
            let n = x.len() as f64;
            let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
            let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
            for (a, b) in x.iter().zip(&y) {
                sxy += (a - mx) * (b - my);
                sxx += (a - mx) * (a - mx);
                syy += (b - my) * (b - my);
            }
            Some(KV::Real(sxy / (sxx * syy).sqrt()))
        }
        _ => return None,
    };
    Some(out.unwrap_or(KV::Null))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn dynamic(j: Json) -> KV {
        KV::Dyn(j)
    }

    #[test]
    fn sorting_several_arrays_orders_the_rest_by_the_first() {
        let keys = dynamic(json!([1, 3, 4, 5, 2]));
        let letters = dynamic(json!(["a", "b", "c", "d", "e"]));
        let asc = call("array_sort_asc", &[keys.clone(), letters.clone()]).unwrap();
        assert_eq!(
            asc.to_dyn(),
            json!([[1, 2, 3, 4, 5], ["a", "e", "b", "c", "d"]])
        );
        let desc = call("array_sort_desc", &[keys.clone(), letters]).unwrap();
        assert_eq!(
            desc.to_dyn(),
            json!([[5, 4, 3, 2, 1], ["d", "c", "b", "e", "a"]])
        );
        // An array of another length has no place to follow.
        let short = dynamic(json!(["x"]));
        let out = call("array_sort_asc", &[keys, short]).unwrap();
        assert_eq!(out.to_dyn(), json!([[1, 2, 3, 4, 5], null]));
    }

    #[test]
    fn nulls_go_last_unless_told_otherwise() {
        let a = dynamic(json!([2, null, "b", 1, true]));
        let out = call("array_sort_asc", std::slice::from_ref(&a)).unwrap();
        assert_eq!(out.to_dyn(), json!([1, 2, true, "b", null]));
        let out = call("array_sort_desc", &[a, KV::Bool(false)]).unwrap();
        assert_eq!(out.to_dyn(), json!([null, 2, 1, true, "b"]));
    }
}
