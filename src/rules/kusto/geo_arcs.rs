//! Lines and polygons on Kusto's sphere: reading GeoJSON shapes as Kusto
//! accepts them, and the arithmetic of great-circle arcs the shape
//! functions are built from.

use serde_json::Value as Json;

use super::geo::{EARTH_RADIUS_M, Vec3, cross, dot, norm, point, unit};
use super::value::KV;

pub(super) type Coord = (f64, f64);
/// Rings of one polygon, the shell first; each ring closed.
pub(super) type Polygon = Vec<Vec<Coord>>;
/// The parts of a LineString or MultiLineString.
pub(super) type Lines = Vec<Vec<Coord>>;

pub(super) fn coord(p: &Json) -> Option<Coord> {
    let p = p.as_array()?;
    if p.len() < 2 {
        return None;
    }
    point(&KV::Real(p[0].as_f64()?), &KV::Real(p[1].as_f64()?))
}

pub(super) fn angle(a: Vec3, b: Vec3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

pub(super) fn lonlat(v: Vec3) -> Coord {
    (
        v[1].atan2(v[0]).to_degrees(),
        v[2].atan2(v[0].hypot(v[1])).to_degrees(),
    )
}

pub(super) fn scaled(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

pub(super) fn plus(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub(super) fn normalized(a: Vec3) -> Option<Vec3> {
    let n = norm(a);
    (n > 0.0 && n.is_finite()).then(|| scaled(a, 1.0 / n))
}

/// Whether an edge is one Kusto draws: shorter than half a great circle.
pub(super) fn edge_ok(a: Coord, b: Coord) -> bool {
    angle(unit(a), unit(b)) < std::f64::consts::PI - 1e-12
}

/// The parts of a LineString or MultiLineString, each of two points or
/// more.
pub(super) fn lines(shape: &Json) -> Option<Lines> {
    let part = |c: &Json| -> Option<Vec<Coord>> {
        let pts: Vec<Coord> = c.as_array()?.iter().map(coord).collect::<Option<_>>()?;
        (pts.len() >= 2 && pts.windows(2).all(|w| edge_ok(w[0], w[1]))).then_some(pts)
    };
    let coords = shape.get("coordinates")?;
    match shape.get("type")?.as_str()? {
        "LineString" => Some(vec![part(coords)?]),
        "MultiLineString" => {
            let parts: Vec<_> = coords.as_array()?.iter().map(part).collect::<Option<_>>()?;
            (!parts.is_empty()).then_some(parts)
        }
        _ => None,
    }
}

/// A closed ring of four entries or more around three distinct points.
pub(super) fn ring(c: &Json) -> Option<Vec<Coord>> {
    closed_ring(c.as_array()?.iter().map(coord).collect::<Option<_>>()?)
}

/// `pts`, when they make a ring as [`ring`] reads one.
pub(super) fn closed_ring(pts: Vec<Coord>) -> Option<Vec<Coord>> {
    if pts.len() < 4 || pts.first() != pts.last() {
        return None;
    }
    let mut distinct: Vec<Coord> = Vec::new();
    for p in &pts {
        if !distinct.contains(p) {
            distinct.push(*p);
        }
        if distinct.len() >= 3 {
            break;
        }
    }
    (distinct.len() >= 3 && pts.windows(2).all(|w| edge_ok(w[0], w[1]))).then_some(pts)
}

/// The polygons of a Polygon or MultiPolygon.
pub(super) fn polygons(shape: &Json) -> Option<Vec<Polygon>> {
    let polygon = |c: &Json| -> Option<Polygon> {
        let rings: Polygon = c.as_array()?.iter().map(ring).collect::<Option<_>>()?;
        (!rings.is_empty()).then_some(rings)
    };
    let coords = shape.get("coordinates")?;
    match shape.get("type")?.as_str()? {
        "Polygon" => Some(vec![polygon(coords)?]),
        "MultiPolygon" => {
            let all: Vec<_> = coords
                .as_array()?
                .iter()
                .map(polygon)
                .collect::<Option<_>>()?;
            (!all.is_empty()).then_some(all)
        }
        _ => None,
    }
}

/// The point `t` radians from `a` along the arc towards `b`.
pub(super) fn along(a: Vec3, b: Vec3, t: f64) -> Option<Vec3> {
    let u = normalized(plus(b, scaled(a, -dot(a, b))))?;
    Some(plus(scaled(a, t.cos()), scaled(u, t.sin())))
}

/// How far, in metres, `p` is from the great circle through `a` and `b`.
pub(super) fn off_circle(p: Vec3, a: Vec3, b: Vec3) -> f64 {
    match normalized(cross(a, b)) {
        Some(n) => dot(p, n).clamp(-1.0, 1.0).asin().abs() * EARTH_RADIUS_M,
        None => angle(p, a) * EARTH_RADIUS_M,
    }
}

/// The point of arc `a`-`b` nearest `p`.
pub(super) fn nearest_on_arc(p: Vec3, a: Vec3, b: Vec3) -> Vec3 {
    if let Some(n) = normalized(cross(a, b)) {
        if let Some(q) = normalized(plus(p, scaled(n, -dot(p, n)))) {
            // On the arc when it lies between the ends.
            if dot(cross(a, q), n) >= 0.0 && dot(cross(q, b), n) >= 0.0 {
                return q;
            }
        }
    }
    if angle(p, a) <= angle(p, b) { a } else { b }
}

pub(super) fn arc_distance(p: Vec3, a: Vec3, b: Vec3) -> f64 {
    angle(p, nearest_on_arc(p, a, b)) * EARTH_RADIUS_M
}

/// Whether `x` lies on the arc from `a` to `b`.
pub(super) fn on_arc(x: Vec3, a: Vec3, b: Vec3) -> bool {
    (angle(a, x) + angle(x, b) - angle(a, b)).abs() < 1e-12
}

/// Where two arcs meet.
pub(super) enum Crossing {
    None,
    Point(Coord),
    /// The stretch two arcs of one great circle share.
    Overlap(Coord, Coord),
}

/// Where arcs `a`-`b` and `c`-`d` meet. A point that is one of the given
/// vertices comes back as that vertex, exactly as written.
pub(super) fn crossing(a: Coord, b: Coord, c: Coord, d: Coord) -> Crossing {
    let (va, vb, vc, vd) = (unit(a), unit(b), unit(c), unit(d));
    let snap = |x: Vec3| -> Coord {
        [(va, a), (vb, b), (vc, c), (vd, d)]
            .into_iter()
            .find(|(v, _)| angle(*v, x) < 1e-12)
            .map_or_else(|| lonlat(x), |(_, p)| p)
    };
    let (n1, n2) = (normalized(cross(va, vb)), normalized(cross(vc, vd)));
    let common = match (n1, n2) {
        (Some(n1), Some(n2)) => normalized(cross(n1, n2)),
        _ => None,
    };
    match common {
        Some(x) => [x, scaled(x, -1.0)]
            .into_iter()
            .find(|x| on_arc(*x, va, vb) && on_arc(*x, vc, vd))
            .map_or(Crossing::None, |x| Crossing::Point(snap(x))),
        None => {
            // One great circle (or a point): the ends inside the other arc
            // bound what they share.
            let mut ends: Vec<Coord> = Vec::new();
            for (v, p) in [(va, a), (vb, b), (vc, c), (vd, d)] {
                if on_arc(v, va, vb)
                    && on_arc(v, vc, vd)
                    && !ends.iter().any(|q| angle(unit(*q), v) < 1e-12)
                {
                    ends.push(p);
                }
            }
            // In the direction of the first arc.
            ends.sort_by(|p, q| angle(va, unit(*p)).total_cmp(&angle(va, unit(*q))));
            match ends.as_slice() {
                [] => Crossing::None,
                [p] => Crossing::Point(*p),
                [p, q, ..] => Crossing::Overlap(*p, *q),
            }
        }
    }
}

/// Signed area of the spherical triangle `a`, `b`, `c` (unit sphere).
pub(super) fn triangle_area(a: Vec3, b: Vec3, c: Vec3) -> f64 {
    let num = dot(a, cross(b, c));
    let den = 1.0 + dot(a, b) + dot(b, c) + dot(c, a);
    2.0 * num.atan2(den)
}
