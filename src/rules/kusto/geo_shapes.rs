//! Kusto's functions over lines and polygons: length, centroid, a point
//! part-way along, densifying planar edges into geodesic ones, simplifying,
//! the closest point and the distance to a shape, and whether shapes
//! meet. Shapes are GeoJSON; edges are great-circle arcs on Kusto's sphere.
//! A shape that breaks Kusto's rules (a line of one point, a ring that is
//! not closed or encloses nothing, a coordinate out of range, an edge of
//! half the globe) gives null, as do tolerances outside their ranges.

use serde_json::{Value as Json, json};

use super::geo::{EARTH_RADIUS_M, Vec3, in_polygon, number, point, unit};
use super::geo_arcs::{
    Coord, Crossing, Lines, Polygon, along, angle, arc_distance, closed_ring, crossing, lines,
    lonlat, nearest_on_arc, normalized, off_circle, on_arc, plus, polygons, scaled, triangle_area,
};
use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("geo_line_length", 1, 1),
    ("geo_line_centroid", 1, 1),
    ("geo_line_interpolate_point", 2, 2),
    ("geo_line_densify", 1, 3),
    ("geo_line_simplify", 1, 2),
    ("geo_polygon_area", 1, 1),
    ("geo_polygon_perimeter", 1, 1),
    ("geo_polygon_centroid", 1, 1),
    ("geo_polygon_densify", 1, 3),
    ("geo_polygon_simplify", 1, 2),
    ("geo_closest_point_on_line", 3, 3),
    ("geo_closest_point_on_polygon", 3, 3),
    ("geo_distance_point_to_line", 3, 3),
    ("geo_distance_point_to_polygon", 3, 3),
    ("geo_intersects_2lines", 2, 2),
    ("geo_intersection_2lines", 2, 2),
    ("geo_intersects_2polygons", 2, 2),
    ("geo_intersects_line_with_polygon", 2, 2),
];

/// Densifying stops at this many points in one shape, rather than grow
/// without bound on a hostile tolerance.
const MAX_POINTS: usize = 1 << 20;
/// Simplification tolerances Kusto accepts, in metres.
const MAX_SIMPLIFY_M: f64 = 7_800_000.0;

/// A coordinate as Kusto writes it in GeoJSON: whole degrees without a
/// fraction, so a vertex given as `50` comes back as `50`.
fn degrees(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() <= 360.0 {
        Json::from(x as i64)
    } else {
        number(x)
    }
}

fn coord_json((lon, lat): Coord) -> Json {
    Json::Array(vec![degrees(lon), degrees(lat)])
}

fn geo_point(p: Coord) -> KV {
    KV::Dyn(json!({"type": "Point", "coordinates": coord_json(p)}))
}

fn length(pts: &[Coord]) -> f64 {
    pts.windows(2).map(|w| angle(unit(w[0]), unit(w[1]))).sum()
}

/// The centroid of arcs: each arc's points integrate to its chord's
/// midpoint direction times twice the sine of half its angle.
fn line_centroid(parts: &[Vec<Coord>]) -> Option<Coord> {
    let mut sum = [0.0; 3];
    for pts in parts {
        for w in pts.windows(2) {
            let (a, b) = (unit(w[0]), unit(w[1]));
            let theta = angle(a, b);
            if let Some(mid) = normalized(plus(a, b)) {
                sum = plus(sum, scaled(mid, 2.0 * (theta / 2.0).sin()));
            }
        }
    }
    normalized(sum).map(lonlat)
}

fn interpolate(pts: &[Coord], fraction: f64) -> Option<Coord> {
    let mut left = fraction * length(pts);
    for w in pts.windows(2) {
        let (a, b) = (unit(w[0]), unit(w[1]));
        let theta = angle(a, b);
        if left <= theta {
            // A point on a vertex is the vertex, not a rounding of it.
            return if theta == 0.0 || left < 1e-15 {
                Some(w[0])
            } else if theta - left < 1e-15 {
                Some(w[1])
            } else {
                along(a, b, left).map(lonlat)
            };
        }
        left -= theta;
    }
    pts.last().copied()
}

/// A planar edge (straight in longitude and latitude) split at its midpoint
/// until each piece strays from its geodesic by no more than `tolerance`.
fn densify_edge(a: Coord, b: Coord, tolerance: f64, depth: u32, out: &mut Vec<Coord>) -> bool {
    let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    if depth >= 40 || off_circle(unit(mid), unit(a), unit(b)) <= tolerance {
        out.push(b);
        return out.len() <= MAX_POINTS;
    }
    densify_edge(a, mid, tolerance, depth + 1, out)
        && densify_edge(mid, b, tolerance, depth + 1, out)
}

fn densify(pts: &[Coord], tolerance: f64) -> Option<Vec<Coord>> {
    let mut out = vec![pts[0]];
    for w in pts.windows(2) {
        if !densify_edge(w[0], w[1], tolerance, 0, &mut out) {
            return None;
        }
    }
    Some(out)
}

pub(super) fn coords_json(pts: &[Coord]) -> Json {
    Json::Array(pts.iter().copied().map(coord_json).collect())
}

/// Douglas-Peucker on the sphere: the vertex farthest from the arc between
/// two kept ones is kept when it is `tolerance` metres off or more; then
/// no two kept vertices are nearer than `tolerance`.
fn simplify(pts: &[Coord], tolerance: f64) -> Vec<Coord> {
    let v: Vec<Vec3> = pts.iter().map(|p| unit(*p)).collect();
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0, pts.len() - 1)];
    while let Some((i, j)) = stack.pop() {
        let far = (i + 1..j)
            .map(|k| (k, arc_distance(v[k], v[i], v[j])))
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((k, d)) = far {
            if d >= tolerance {
                keep[k] = true;
                stack.push((i, k));
                stack.push((k, j));
            }
        }
    }
    let mut out: Vec<Coord> = Vec::new();
    for (k, p) in pts.iter().enumerate() {
        let near_last = out
            .last()
            .is_some_and(|q| angle(unit(*q), v[k]) * EARTH_RADIUS_M < tolerance);
        if keep[k] && !near_last {
            out.push(*p);
        } else if keep[k] && k == pts.len() - 1 && out.len() > 1 {
            // The end stays where it is; the vertex before it goes.
            out.pop();
            if out
                .last()
                .is_some_and(|q| angle(unit(*q), v[k]) * EARTH_RADIUS_M >= tolerance)
            {
                out.push(*p);
            }
        }
    }
    out
}

/// A polygon ring simplified, `None` when too little of it is left to be
/// a ring.
pub(super) fn simplify_ring(ring: &[Coord], tolerance: f64) -> Option<Vec<Coord>> {
    closed_ring(simplify(ring, tolerance))
}

/// The nearest point over every edge of every chain.
fn nearest<'a>(p: Coord, chains: impl Iterator<Item = &'a Vec<Coord>>) -> Option<(Coord, f64)> {
    let pv = unit(p);
    let mut best: Option<(Vec3, f64)> = None;
    for pts in chains {
        for w in pts.windows(2) {
            let q = nearest_on_arc(pv, unit(w[0]), unit(w[1]));
            let d = angle(pv, q);
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((q, d));
            }
        }
    }
    best.map(|(q, d)| (lonlat(q), d * EARTH_RADIUS_M))
}

fn chains_meet(x: &[Vec<Coord>], y: &[Vec<Coord>]) -> bool {
    x.iter().flat_map(|p| p.windows(2)).any(|e| {
        y.iter()
            .flat_map(|q| q.windows(2))
            .any(|f| !matches!(crossing(e[0], e[1], f[0], f[1]), Crossing::None))
    })
}

fn inside(p: Coord, shape: &Json) -> bool {
    in_polygon(p, shape).unwrap_or(false)
}

/// A ring's area (unit sphere) and the sum of its fan triangles' chord
/// centroids weighted by their areas, taken on the side the ring encloses
/// the smaller region of.
fn ring_moments(pts: &[Coord]) -> (f64, Vec3) {
    let v: Vec<Vec3> = pts.iter().map(|p| unit(*p)).collect();
    let o = v[0];
    let (mut area, mut moment) = (0.0, [0.0; 3]);
    for w in v[1..].windows(2) {
        let t = triangle_area(o, w[0], w[1]);
        area += t;
        moment = plus(moment, scaled(plus(plus(o, w[0]), w[1]), t / 3.0));
    }
    if area < 0.0 {
        (-area, scaled(moment, -1.0))
    } else {
        (area, moment)
    }
}

fn polygon_moments(all: &[Polygon]) -> (f64, Vec3) {
    let (mut area, mut moment) = (0.0, [0.0; 3]);
    for rings in all {
        for (i, r) in rings.iter().enumerate() {
            let (a, m) = ring_moments(r);
            let sign = if i == 0 { 1.0 } else { -1.0 };
            area += sign * a;
            moment = plus(moment, scaled(m, sign));
        }
    }
    (area, moment)
}

fn shape_arg(args: &[KV], i: usize) -> Option<Json> {
    args.get(i)?.clone().parsed()
}

/// A tolerance argument in metres: the default when absent, `None` when
/// outside `range`.
fn tolerance(args: &[KV], i: usize, default: f64, range: (f64, f64)) -> Option<f64> {
    match args.get(i) {
        None => Some(default),
        Some(v) => v.as_f64().filter(|t| (range.0..=range.1).contains(t)),
    }
}

pub(super) fn rebuild(kind: &str, parts: Vec<Json>, multi: bool) -> KV {
    if multi {
        KV::Dyn(json!({"type": format!("Multi{kind}"), "coordinates": parts}))
    } else {
        KV::Dyn(json!({"type": kind, "coordinates": parts.into_iter().next()}))
    }
}

/// What is left of a simplified shape: nothing (null), one part, or
/// several as a Multi kind.
fn remaining(kind: &str, parts: Vec<Json>) -> KV {
    match parts.len() {
        0 => KV::Null,
        n => rebuild(kind, parts, n > 1),
    }
}

/// Two line arguments, both valid.
fn two_lines(args: &[KV]) -> Option<(Lines, Lines)> {
    let line = |i| shape_arg(args, i).and_then(|s| lines(&s));
    line(0).zip(line(1))
}

/// The nearest point found, or its distance, as the function asks.
fn point_or_distance(found: Option<(Coord, f64)>, point: bool) -> KV {
    match (found, point) {
        (Some((q, _)), true) => geo_point(q),
        (Some((_, d)), false) => KV::Real(d),
        (None, _) => KV::Null,
    }
}

fn is_multi(shape: &Json) -> bool {
    shape
        .get("type")
        .and_then(Json::as_str)
        .is_some_and(|t| t.starts_with("Multi"))
}

/// The points and stretches two sets of lines share, as GeoJSON: a
/// Point, MultiPoint, LineString or MultiLineString when they are of one
/// kind, a GeometryCollection otherwise (empty when the lines do not meet).
fn intersection(x: &[Vec<Coord>], y: &[Vec<Coord>]) -> Json {
    let near = |p: Coord, q: Coord| angle(unit(p), unit(q)) < 1e-12;
    let (mut points, mut stretches): (Vec<Coord>, Vec<(Coord, Coord)>) = (Vec::new(), Vec::new());
    for e in x.iter().flat_map(|p| p.windows(2)) {
        for f in y.iter().flat_map(|q| q.windows(2)) {
            match crossing(e[0], e[1], f[0], f[1]) {
                Crossing::None => {}
                Crossing::Point(p) => points.push(p),
                Crossing::Overlap(p, q) => stretches.push((p, q)),
            }
        }
    }
    // A point on a shared stretch, or met twice (at a shared vertex), is
    // one point of the answer.
    let on_stretch = |p: Coord| {
        stretches
            .iter()
            .any(|(a, b)| on_arc(unit(p), unit(*a), unit(*b)))
    };
    let mut unique: Vec<Coord> = Vec::new();
    for p in points {
        if !on_stretch(p) && !unique.iter().any(|q| near(p, *q)) {
            unique.push(p);
        }
    }
    let point = coord_json;
    let line = |(a, b): (Coord, Coord)| Json::Array(vec![point(a), point(b)]);
    match (unique.len(), stretches.len()) {
        (0, 0) => json!({"type": "GeometryCollection", "geometries": []}),
        (1, 0) => json!({"type": "Point", "coordinates": point(unique[0])}),
        (_, 0) => {
            json!({"type": "MultiPoint", "coordinates": unique.into_iter().map(point).collect::<Vec<_>>()})
        }
        (0, 1) => json!({"type": "LineString", "coordinates": line(stretches[0])}),
        (0, _) => {
            json!({"type": "MultiLineString", "coordinates": stretches.into_iter().map(line).collect::<Vec<_>>()})
        }
        _ => {
            let mut parts: Vec<Json> = unique
                .into_iter()
                .map(|p| json!({"type": "Point", "coordinates": point(p)}))
                .collect();
            parts.extend(
                stretches
                    .into_iter()
                    .map(|s| json!({"type": "LineString", "coordinates": line(s)})),
            );
            json!({"type": "GeometryCollection", "geometries": parts})
        }
    }
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let real = |x: Option<f64>| x.filter(|x| x.is_finite()).map_or(KV::Null, KV::Real);
    let at = || point(args.first()?, args.get(1)?);
    Some(match name {
        "geo_line_length" => real(
            shape_arg(args, 0)
                .and_then(|s| lines(&s))
                .map(|parts| parts.iter().map(|p| length(p)).sum::<f64>() * EARTH_RADIUS_M),
        ),
        "geo_line_centroid" => shape_arg(args, 0)
            .and_then(|s| lines(&s))
            .and_then(|parts| line_centroid(&parts))
            .map_or(KV::Null, geo_point),
        "geo_line_interpolate_point" => {
            let line = shape_arg(args, 0).filter(|s| s["type"] == "LineString");
            let fraction = args
                .get(1)
                .and_then(KV::as_f64)
                .filter(|f| (0.0..=1.0).contains(f));
            match (line.and_then(|s| lines(&s)), fraction) {
                (Some(parts), Some(f)) => interpolate(&parts[0], f).map_or(KV::Null, geo_point),
                _ => KV::Null,
            }
        }
        "geo_line_densify" | "geo_polygon_densify" => {
            let Some(tol) = tolerance(args, 1, 10.0, (0.1, 10_000.0)) else {
                return Some(KV::Null);
            };
            let Some(shape) = shape_arg(args, 0) else {
                return Some(KV::Null);
            };
            let multi = is_multi(&shape);
            if name == "geo_line_densify" {
                let Some(parts) = lines(&shape) else {
                    return Some(KV::Null);
                };
                let dense: Option<Vec<Json>> = parts
                    .iter()
                    .map(|p| densify(p, tol).map(|d| coords_json(&d)))
                    .collect();
                dense.map_or(KV::Null, |d| rebuild("LineString", d, multi))
            } else {
                let Some(all) = polygons(&shape) else {
                    return Some(KV::Null);
                };
                let dense: Option<Vec<Json>> = all
                    .iter()
                    .map(|rings| {
                        let r: Option<Vec<Json>> = rings
                            .iter()
                            .map(|r| densify(r, tol).map(|d| coords_json(&d)))
                            .collect();
                        r.map(Json::Array)
                    })
                    .collect();
                dense.map_or(KV::Null, |d| rebuild("Polygon", d, multi))
            }
        }
        "geo_line_simplify" => {
            let (Some(shape), Some(tol)) = (
                shape_arg(args, 0),
                tolerance(args, 1, 10.0, (0.0, MAX_SIMPLIFY_M)),
            ) else {
                return Some(KV::Null);
            };
            let Some(parts) = lines(&shape) else {
                return Some(KV::Null);
            };
            let kept: Vec<Json> = parts
                .iter()
                .map(|p| simplify(p, tol))
                .filter(|p| p.len() >= 2)
                .map(|p| coords_json(&p))
                .collect();
            remaining("LineString", kept)
        }
        "geo_polygon_simplify" => {
            let (Some(shape), Some(tol)) = (
                shape_arg(args, 0),
                tolerance(args, 1, 10.0, (0.0, MAX_SIMPLIFY_M)),
            ) else {
                return Some(KV::Null);
            };
            let Some(all) = polygons(&shape) else {
                return Some(KV::Null);
            };
            let mut kept = Vec::new();
            for rings in &all {
                // A shell that collapses takes its holes with it; a hole
                // that collapses is gone.
                let mut out = Vec::new();
                for (i, r) in rings.iter().enumerate() {
                    match simplify_ring(r, tol) {
                        Some(s) => out.push(coords_json(&s)),
                        None if i == 0 => break,
                        None => {}
                    }
                }
                if !out.is_empty() {
                    kept.push(Json::Array(out));
                }
            }
            remaining("Polygon", kept)
        }
        "geo_polygon_area" => real(
            shape_arg(args, 0)
                .and_then(|s| polygons(&s))
                .and_then(|all| {
                    let (area, _) = polygon_moments(&all);
                    (area > 0.0).then_some(area * EARTH_RADIUS_M * EARTH_RADIUS_M)
                }),
        ),
        "geo_polygon_perimeter" => real(
            shape_arg(args, 0)
                .and_then(|s| polygons(&s))
                .map(|all| all.iter().flatten().map(|r| length(r)).sum::<f64>() * EARTH_RADIUS_M),
        ),
        "geo_polygon_centroid" => shape_arg(args, 0)
            .and_then(|s| polygons(&s))
            .and_then(|all| {
                let (area, moment) = polygon_moments(&all);
                (area > 0.0).then_some(moment)
            })
            .and_then(normalized)
            .map_or(KV::Null, |c| geo_point(lonlat(c))),
        "geo_closest_point_on_line" | "geo_distance_point_to_line" => {
            let found = at()
                .zip(shape_arg(args, 2).and_then(|s| lines(&s)))
                .and_then(|(p, parts)| nearest(p, parts.iter()));
            point_or_distance(found, name == "geo_closest_point_on_line")
        }
        "geo_closest_point_on_polygon" | "geo_distance_point_to_polygon" => {
            let shape = shape_arg(args, 2);
            let found = at()
                .zip(shape.as_ref().and_then(polygons))
                .and_then(|(p, all)| {
                    if inside(p, shape.as_ref()?) {
                        Some((p, 0.0))
                    } else {
                        nearest(p, all.iter().flatten())
                    }
                });
            point_or_distance(found, name == "geo_closest_point_on_polygon")
        }
        "geo_intersection_2lines" => {
            two_lines(args).map_or(KV::Null, |(x, y)| KV::Dyn(intersection(&x, &y)))
        }
        "geo_intersects_2lines" => {
            two_lines(args).map_or(KV::Null, |(x, y)| KV::Bool(chains_meet(&x, &y)))
        }
        "geo_intersects_2polygons" => {
            let (Some(s1), Some(s2)) = (shape_arg(args, 0), shape_arg(args, 1)) else {
                return Some(KV::Null);
            };
            match (polygons(&s1), polygons(&s2)) {
                (Some(x), Some(y)) => {
                    let rings = |all: &[Polygon]| all.iter().flatten().cloned().collect::<Vec<_>>();
                    let (rx, ry) = (rings(&x), rings(&y));
                    KV::Bool(
                        chains_meet(&rx, &ry)
                            || rx.iter().flatten().any(|p| inside(*p, &s2))
                            || ry.iter().flatten().any(|p| inside(*p, &s1)),
                    )
                }
                _ => KV::Null,
            }
        }
        "geo_intersects_line_with_polygon" => {
            let (Some(line), Some(poly)) = (shape_arg(args, 0), shape_arg(args, 1)) else {
                return Some(KV::Null);
            };
            match (lines(&line), polygons(&poly)) {
                (Some(x), Some(y)) => {
                    let rings: Vec<Vec<Coord>> = y.into_iter().flatten().collect();
                    KV::Bool(
                        chains_meet(&x, &rings) || x.iter().flatten().any(|p| inside(*p, &poly)),
                    )
                }
                _ => KV::Null,
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> KV {
        KV::Dyn(serde_json::from_str(text).expect("valid JSON"))
    }

    fn coords(v: &KV) -> Vec<(f64, f64)> {
        let KV::Dyn(j) = v else { panic!("{v:?}") };
        let pts = j["coordinates"].as_array().expect("coordinates");
        pts.iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect()
    }

    #[test]
    fn densifying_splits_planar_edges_until_they_follow_the_geodesic() {
        let line = shape(r#"{"type":"LineString","coordinates":[[50,50],[51,51]]}"#);
        let dense = call("geo_line_densify", &[line]).unwrap();
        let pts = coords(&dense);
        assert_eq!(pts.len(), 9);
        assert_eq!(pts[1], (50.125, 50.125));
        // A meridian is a geodesic already.
        let meridian = shape(r#"{"type":"LineString","coordinates":[[11,10],[11,11]]}"#);
        assert_eq!(
            coords(&call("geo_line_densify", &[meridian]).unwrap()).len(),
            2
        );
        let bad = shape(r#"{"type":"LineString","coordinates":[[50,50],[51,51]]}"#);
        assert_eq!(
            call("geo_line_densify", &[bad, KV::Real(0.01)]),
            Some(KV::Null)
        );
    }

    #[test]
    fn closest_points_and_distances() {
        let line = shape(r#"{"type":"LineString","coordinates":[[0,0],[10,0]]}"#);
        let got = call(
            "geo_closest_point_on_line",
            &[KV::Real(5.0), KV::Real(1.0), line.clone()],
        )
        .unwrap();
        let KV::Dyn(j) = &got else { panic!("{got:?}") };
        let (x, y) = (
            j["coordinates"][0].as_f64().unwrap(),
            j["coordinates"][1].as_f64().unwrap(),
        );
        assert!((x - 5.0).abs() < 1e-9 && y.abs() < 1e-9, "{got:?}");
        let KV::Real(d) = call(
            "geo_distance_point_to_line",
            &[KV::Real(5.0), KV::Real(1.0), line],
        )
        .unwrap() else {
            panic!()
        };
        assert!((d - 111_195.0).abs() < 100.0, "{d}");
        let square = shape(r#"{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]]]}"#);
        assert_eq!(
            call(
                "geo_distance_point_to_polygon",
                &[KV::Real(1.0), KV::Real(1.0), square]
            ),
            Some(KV::Real(0.0))
        );
    }

    #[test]
    fn shapes_meet_when_edges_cross_or_one_holds_the_other() {
        let a = shape(r#"{"type":"LineString","coordinates":[[0,0],[2,2]]}"#);
        let b = shape(r#"{"type":"LineString","coordinates":[[0,2],[2,0]]}"#);
        let c = shape(r#"{"type":"LineString","coordinates":[[5,5],[6,6]]}"#);
        assert_eq!(
            call("geo_intersects_2lines", &[a.clone(), b]),
            Some(KV::Bool(true))
        );
        assert_eq!(
            call("geo_intersects_2lines", &[a, c]),
            Some(KV::Bool(false))
        );
        let big =
            shape(r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]}"#);
        let small = shape(r#"{"type":"Polygon","coordinates":[[[4,4],[5,4],[5,5],[4,4]]]}"#);
        assert_eq!(
            call("geo_intersects_2polygons", &[big, small]),
            Some(KV::Bool(true))
        );
    }

    #[test]
    fn two_lines_cross_at_a_point_or_share_a_stretch() {
        let a = shape(r#"{"type":"LineString","coordinates":[[0,0],[2,2]]}"#);
        let b = shape(r#"{"type":"LineString","coordinates":[[0,2],[2,0]]}"#);
        let Some(KV::Dyn(x)) = call("geo_intersection_2lines", &[a.clone(), b]) else {
            panic!()
        };
        assert_eq!(x["type"], "Point");
        let c = x["coordinates"].as_array().unwrap();
        assert!((c[0].as_f64().unwrap() - 1.0).abs() < 1e-9, "{x}");
        let along = shape(r#"{"type":"LineString","coordinates":[[0,0],[0,3]]}"#);
        let part = shape(r#"{"type":"LineString","coordinates":[[0,1],[0,5]]}"#);
        let Some(KV::Dyn(x)) = call("geo_intersection_2lines", &[along, part]) else {
            panic!()
        };
        assert_eq!(
            x,
            json!({"type": "LineString", "coordinates": [[0, 1], [0, 3]]})
        );
        let far = shape(r#"{"type":"LineString","coordinates":[[5,5],[6,6]]}"#);
        let Some(KV::Dyn(x)) = call("geo_intersection_2lines", &[a, far]) else {
            panic!()
        };
        assert_eq!(x, json!({"type": "GeometryCollection", "geometries": []}));
        let one_point = shape(r#"{"type":"LineString","coordinates":[[3,3]]}"#);
        let line = shape(r#"{"type":"LineString","coordinates":[[1,1],[2,2]]}"#);
        assert_eq!(
            call("geo_intersection_2lines", &[line, one_point]),
            Some(KV::Null)
        );
    }

    #[test]
    fn simplifying_drops_nearly_straight_vertices_and_collapses_small_shapes() {
        let line =
            shape(r#"{"type":"LineString","coordinates":[[0,0],[0.5,0.00001],[1,0],[1,1]]}"#);
        let s = call("geo_line_simplify", &[line, KV::Real(100.0)]).unwrap();
        assert_eq!(coords(&s), [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]);
        let tiny = shape(r#"{"type":"LineString","coordinates":[[1.1,1.1],[1.2,1.2]]}"#);
        assert_eq!(
            call("geo_line_simplify", &[tiny, KV::Real(100_000.0)]),
            Some(KV::Null)
        );
    }

    #[test]
    fn area_of_a_degree_square_at_the_equator() {
        let square = shape(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#);
        let KV::Real(a) = call("geo_polygon_area", &[square]).unwrap() else {
            panic!()
        };
        // About 111.2 km on a side.
        assert!((a / 1e6 - 12_364.0).abs() < 10.0, "{a}");
        let clockwise =
            shape(r#"{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]]}"#);
        let KV::Real(b) = call("geo_polygon_area", &[clockwise]).unwrap() else {
            panic!()
        };
        assert!((a - b).abs() < 1.0);
    }
}
