//! Unions of shapes on Kusto's sphere. Every boundary is cut where it
//! meets another; a piece of one polygon's boundary stays when it is not
//! inside another polygon, and a piece two polygons share stays only when
//! both run it the same way (where they run it opposite ways, it is
//! between their insides). What stays is joined end to end into rings.
//! Lines are cut the same way and joined into the longest runs.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::geo::{Vec3, in_ring, unit};
use super::geo_arcs::{
    Coord, Crossing, Lines, Polygon, angle, crossing, lines, normalized, plus, polygons,
    triangle_area,
};
use super::geo_shapes::{coords_json, rebuild, simplify_ring};
use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("geo_union_polygons_array", 1, 1),
    ("geo_union_lines_array", 1, 1),
    ("geo_simplify_polygons_array", 1, 2),
];

/// Edges a union takes at most.
const MAX_EDGES: usize = 20_000;

/// Pairs of edges that may meet, and pieces after cutting, a union takes at
/// most: shapes that all cross each other would otherwise grow as the
/// square of their edges.
const MAX_PIECES: usize = 1_000_000;

/// A vertex as a map key: the same point reached from two shapes is the
/// same key.
pub(super) type Key = (u64, u64);

pub(super) fn key(p: Coord) -> Key {
    ((p.0 + 0.0).to_bits(), (p.1 + 0.0).to_bits())
}

/// Vertices closer than this (degrees, on each axis) are one vertex: shapes
/// drawn side by side rarely agree on their shared corners to the last bit
/// (0.06 + 0.01 is not 0.07).
const SNAP: f64 = 1e-9;

/// Vertices met so far, on a grid of `SNAP`; a vertex near one already met
/// becomes that one.
#[derive(Default)]
struct Snap {
    seen: HashMap<(i64, i64), Coord>,
}

impl Snap {
    fn at(&mut self, p: Coord) -> Coord {
        // Saturating casts: a wild coordinate lands on the grid's edge.
        let cell = ((p.0 / SNAP).round() as i64, (p.1 / SNAP).round() as i64);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let near = (cell.0.saturating_add(dx), cell.1.saturating_add(dy));
                if let Some(&q) = self.seen.get(&near)
                    && (q.0 - p.0).abs() <= SNAP
                    && (q.1 - p.1).abs() <= SNAP
                {
                    return q;
                }
            }
        }
        self.seen.insert(cell, p);
        p
    }

    /// Edges between snapped vertices, without those snapping left empty.
    fn edges(&mut self, parts: &[Vec<Coord>], owner: usize, out: &mut Vec<Piece>) {
        for part in parts {
            let part: Vec<Coord> = part.iter().map(|c| self.at(*c)).collect();
            out.extend(
                part.windows(2)
                    .filter(|w| key(w[0]) != key(w[1]))
                    .map(|w| Piece {
                        a: w[0],
                        b: w[1],
                        owner,
                    }),
            );
        }
    }
}

/// A boundary piece from `a` to `b` of shape `owner`.
#[derive(Clone, Copy)]
pub(super) struct Piece {
    pub a: Coord,
    pub b: Coord,
    pub owner: usize,
}

/// The signed area of a closed ring (unit sphere): positive when it runs
/// counter-clockwise around the smaller region.
fn signed_area(ring: &[Coord]) -> f64 {
    let v: Vec<Vec3> = ring.iter().map(|p| unit(*p)).collect();
    v[1..]
        .windows(2)
        .map(|w| triangle_area(v[0], w[0], w[1]))
        .sum()
}

/// Shells counter-clockwise and holes clockwise, whichever way they came.
pub(super) fn oriented(mut p: Polygon) -> Polygon {
    for (i, ring) in p.iter_mut().enumerate() {
        if (signed_area(ring) > 0.0) != (i == 0) {
            ring.reverse();
        }
    }
    p
}

/// The smallest-ish spherical cap around some points: a cheap test of
/// whether two shapes can meet at all before the exact one.
#[derive(Clone, Copy)]
struct Cap {
    centre: Vec3,
    radius: f64,
}

/// Room for rounding in cap tests: a cap never rules out a true meeting.
const SLACK: f64 = 1e-9;

impl Cap {
    fn around(points: &[Vec3]) -> Cap {
        let sum = points.iter().fold([0.0; 3], |s, v| plus(s, *v));
        let centre = normalized(sum).unwrap_or(points[0]);
        let radius = points.iter().map(|v| angle(centre, *v)).fold(0.0, f64::max);
        Cap { centre, radius }
    }

    fn meets(&self, other: &Cap) -> bool {
        angle(self.centre, other.centre) <= self.radius + other.radius + SLACK
    }

    /// Whether the smaller region bounded by points in this cap can hold
    /// `p`: it lies in the cap unless the cap is a hemisphere or more.
    fn may_hold(&self, p: Vec3) -> bool {
        self.radius >= std::f64::consts::FRAC_PI_2 || angle(self.centre, p) <= self.radius + SLACK
    }

    /// The latitudes (radians) the cap spans.
    fn latitudes(&self) -> (f64, f64) {
        let lat = self.centre[2].clamp(-1.0, 1.0).asin();
        (lat - self.radius - SLACK, lat + self.radius + SLACK)
    }
}

/// For every edge, the edges of other shapes whose caps it meets: edges
/// swept in order of their southmost latitude, so that only those whose
/// latitudes overlap are compared.
fn neighbours(edges: &[Piece]) -> Option<Vec<Vec<usize>>> {
    let caps: Vec<Cap> = edges
        .iter()
        .map(|e| Cap::around(&[unit(e.a), unit(e.b)]))
        .collect();
    let spans: Vec<(f64, f64)> = caps.iter().map(Cap::latitudes).collect();
    let mut order: Vec<usize> = (0..edges.len()).collect();
    order.sort_by(|&i, &j| spans[i].0.total_cmp(&spans[j].0));
    let mut near = vec![Vec::new(); edges.len()];
    let mut pairs = 0;
    for (n, &i) in order.iter().enumerate() {
        for &j in &order[n + 1..] {
            if spans[j].0 > spans[i].1 {
                break;
            }
            if edges[i].owner != edges[j].owner && caps[i].meets(&caps[j]) {
                near[i].push(j);
                near[j].push(i);
                pairs += 1;
                if pairs > MAX_PIECES {
                    return None;
                }
            }
        }
    }
    // Cutting points are sorted along each edge afterwards, but keeping
    // the input order here keeps equal points' first spelling stable.
    for n in &mut near {
        n.sort_unstable();
    }
    Some(near)
}

/// Every edge cut at the points where another shape's edges meet it.
fn cut(edges: &[Piece], snap: &mut Snap) -> Option<Vec<Piece>> {
    let near = neighbours(edges)?;
    let mut out = Vec::new();
    for (e, near) in edges.iter().zip(&near) {
        let mut at: Vec<Coord> = vec![e.a, e.b];
        for f in near.iter().map(|&j| &edges[j]) {
            match crossing(e.a, e.b, f.a, f.b) {
                Crossing::None => {}
                Crossing::Point(p) => at.push(snap.at(p)),
                Crossing::Overlap(p, q) => at.extend([snap.at(p), snap.at(q)]),
            }
        }
        let va = unit(e.a);
        at.sort_by(|p, q| angle(va, unit(*p)).total_cmp(&angle(va, unit(*q))));
        at.dedup_by(|p, q| key(*p) == key(*q));
        out.extend(at.windows(2).map(|w| Piece {
            a: w[0],
            b: w[1],
            owner: e.owner,
        }));
        if out.len() > MAX_PIECES {
            return None;
        }
    }
    Some(out)
}

pub(super) fn midpoint(p: &Piece) -> Option<Vec3> {
    normalized(plus(unit(p.a), unit(p.b)))
}

/// A polygon as unit vectors, with a cap around its shell.
pub(super) struct Solid {
    rings: Vec<Vec<Vec3>>,
    cap: Cap,
}

impl Solid {
    pub(super) fn of(p: &Polygon) -> Solid {
        let rings: Vec<Vec<Vec3>> = p
            .iter()
            .map(|r| r.iter().map(|c| unit(*c)).collect())
            .collect();
        let cap = Cap::around(&rings[0]);
        Solid { rings, cap }
    }

    pub(super) fn holds(&self, p: Vec3) -> bool {
        let mut r = self.rings.iter();
        self.cap.may_hold(p)
            && r.next().is_some_and(|shell| in_ring(p, shell))
            && !r.any(|hole| in_ring(p, hole))
    }
}

/// Joins pieces end to end into closed rings, starting each ring at the
/// first piece not yet used.
fn rings_of(pieces: &[Piece]) -> Vec<Vec<Coord>> {
    let mut from: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, p) in pieces.iter().enumerate() {
        from.entry(key(p.a)).or_default().push(i);
    }
    let mut used = vec![false; pieces.len()];
    let mut out = Vec::new();
    for start in 0..pieces.len() {
        if used[start] {
            continue;
        }
        let mut ring = vec![pieces[start].a];
        let mut at = start;
        loop {
            used[at] = true;
            ring.push(pieces[at].b);
            if key(pieces[at].b) == key(ring[0]) {
                break;
            }
            let next = from
                .get(&key(pieces[at].b))
                .and_then(|c| c.iter().copied().find(|&i| !used[i]));
            match next {
                Some(n) => at = n,
                None => break,
            }
        }
        if ring.len() >= 4 && key(ring[0]) == key(ring[ring.len() - 1]) {
            out.push(ring);
        }
    }
    out
}

/// A piece's ends in either direction: the pieces several shapes share
/// have the same.
pub(super) fn ends(p: &Piece) -> (Key, Key) {
    let (a, b) = (key(p.a), key(p.b));
    (a.min(b), a.max(b))
}

/// The pieces of each shape's boundary (owner: its place in `shapes`),
/// with vertices snapped and every edge cut where another meets it;
/// `None` past the bounds on edges and pieces.
pub(super) fn overlay<'s>(
    shapes: impl IntoIterator<Item = &'s [Vec<Coord>]>,
) -> Option<Vec<Piece>> {
    let mut snap = Snap::default();
    let mut edges = Vec::new();
    for (owner, parts) in shapes.into_iter().enumerate() {
        snap.edges(parts, owner, &mut edges);
    }
    if edges.len() > MAX_EDGES {
        return None;
    }
    cut(&edges, &mut snap)
}

/// Piece numbers by their ends in either direction.
pub(super) fn shared(pieces: &[Piece]) -> HashMap<(Key, Key), Vec<usize>> {
    let mut by_ends: HashMap<(Key, Key), Vec<usize>> = HashMap::new();
    for (i, p) in pieces.iter().enumerate() {
        by_ends.entry(ends(p)).or_default().push(i);
    }
    by_ends
}

/// The union of polygons, as polygons (shell first, then its holes).
fn union(all: Vec<Polygon>) -> Option<Vec<Polygon>> {
    let all: Vec<Polygon> = all.into_iter().map(oriented).collect();
    let solids: Vec<Solid> = all.iter().map(Solid::of).collect();
    let pieces = overlay(all.iter().map(Vec::as_slice))?;
    let shared = shared(&pieces);
    let kept: Vec<Piece> = pieces
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            let a = key(p.a);
            let same = &shared[&ends(p)];
            if same.len() > 1 {
                let opposed = same.iter().any(|&j| key(pieces[j].a) != a);
                return !opposed && same[0] == *i;
            }
            let Some(m) = midpoint(p) else { return false };
            !solids
                .iter()
                .enumerate()
                .any(|(o, solid)| o != p.owner && solid.holds(m))
        })
        .map(|(_, p)| *p)
        .collect();
    let out = assemble(&kept)?;
    (!out.is_empty()).then_some(out)
}

/// Polygons from boundary pieces: rings joined end to end, shells those
/// running counter-clockwise, each hole given to the shell around it
/// (`None` for a hole with none).
pub(super) fn assemble(kept: &[Piece]) -> Option<Vec<Polygon>> {
    let rings = rings_of(kept);
    let (shells, holes): (Vec<_>, Vec<_>) = rings.into_iter().partition(|r| signed_area(r) > 0.0);
    let mut out: Vec<Polygon> = shells.into_iter().map(|s| vec![s]).collect();
    for hole in holes {
        let probe = unit(hole[0]);
        let home = out.iter_mut().find(|p| {
            let shell: Vec<Vec3> = p[0].iter().map(|c| unit(*c)).collect();
            in_ring(probe, &shell) || shell.iter().any(|v| angle(*v, probe) < 1e-12)
        });
        home?.push(hole);
    }
    Some(out)
}

/// The union of lines: each stretch once, joined into the longest runs.
fn union_lines(all: Vec<Lines>) -> Option<Vec<Vec<Coord>>> {
    let runs = runs_of(overlay(all.iter().map(Vec::as_slice))?);
    (!runs.is_empty()).then_some(runs)
}

/// Pieces joined into the longest runs, each stretch once: a run goes on
/// through a vertex two pieces meet at and ends at any other.
pub(super) fn runs_of(pieces: Vec<Piece>) -> Vec<Vec<Coord>> {
    let mut seen = std::collections::HashSet::new();
    let pieces: Vec<Piece> = pieces
        .into_iter()
        .filter(|p| key(p.a) != key(p.b) && seen.insert(ends(p)))
        .collect();
    let mut degree: HashMap<Key, usize> = HashMap::new();
    let mut at: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, p) in pieces.iter().enumerate() {
        for k in [key(p.a), key(p.b)] {
            *degree.entry(k).or_default() += 1;
            at.entry(k).or_default().push(i);
        }
    }
    let mut used = vec![false; pieces.len()];
    let mut out = Vec::new();
    let walk = |start: usize, from: Coord, used: &mut Vec<bool>| {
        let mut run = vec![from];
        let mut i = start;
        let mut here = from;
        loop {
            used[i] = true;
            let p = pieces[i];
            here = if key(p.a) == key(here) { p.b } else { p.a };
            run.push(here);
            if degree[&key(here)] != 2 || key(here) == key(from) {
                break;
            }
            match at[&key(here)].iter().copied().find(|&j| !used[j]) {
                Some(j) => i = j,
                None => break,
            }
        }
        run
    };
    // Runs from their ends first, in the order the pieces came; what is
    // left are closed loops.
    for i in 0..pieces.len() {
        if used[i] {
            continue;
        }
        let p = pieces[i];
        let end = [p.a, p.b].into_iter().find(|v| degree[&key(*v)] != 2);
        if let Some(end) = end {
            out.push(walk(i, end, &mut used));
        }
    }
    for i in 0..pieces.len() {
        if !used[i] {
            out.push(walk(i, pieces[i].a, &mut used));
        }
    }
    out
}

fn array_of<T>(arg: Option<&KV>, read: impl Fn(&Json) -> Option<T>) -> Option<Vec<T>> {
    let arr = arg?.clone().parsed()?;
    let items: Vec<T> = arr.as_array()?.iter().map(read).collect::<Option<_>>()?;
    (!items.is_empty()).then_some(items)
}

pub(super) fn polygons_json(all: &[Polygon]) -> KV {
    let parts: Vec<Json> = all
        .iter()
        .map(|p| Json::Array(p.iter().map(|r| coords_json(r)).collect()))
        .collect();
    let multi = parts.len() > 1;
    rebuild("Polygon", parts, multi)
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    let shapes = || array_of(args.first(), polygons).map(|a| a.into_iter().flatten().collect());
    Some(match name {
        "geo_union_polygons_array" => match shapes().and_then(union) {
            Some(u) => polygons_json(&u),
            None => KV::Null,
        },
        "geo_simplify_polygons_array" => {
            let tolerance = match args.get(1) {
                None => Some(10.0),
                Some(v) => v.as_f64().filter(|t| (0.0..=7_800_000.0).contains(t)),
            };
            let (Some(u), Some(tolerance)) = (shapes().and_then(union), tolerance) else {
                return Some(KV::Null);
            };
            // A shell that collapses takes its holes with it.
            let kept: Vec<Polygon> = u
                .into_iter()
                .filter_map(|p| {
                    let mut rings = p.into_iter().map(|r| simplify_ring(&r, tolerance));
                    let shell = rings.next()??;
                    Some(std::iter::once(shell).chain(rings.flatten()).collect())
                })
                .collect();
            if kept.is_empty() {
                KV::Null
            } else {
                polygons_json(&kept)
            }
        }
        "geo_union_lines_array" => match array_of(args.first(), lines).and_then(union_lines) {
            Some(runs) => {
                let parts: Vec<Json> = runs.iter().map(|r| coords_json(r)).collect();
                let multi = parts.len() > 1;
                rebuild("LineString", parts, multi)
            }
            None => KV::Null,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64) -> Polygon {
        vec![vec![
            (x, y),
            (x + 1.0, y),
            (x + 1.0, y + 1.0),
            (x, y + 1.0),
            (x, y),
        ]]
    }

    #[test]
    fn neighbouring_squares_merge_into_one_outline() {
        let u = union(vec![square(0.0, 0.0), square(1.0, 0.0)]).unwrap();
        assert_eq!(u.len(), 1);
        // The shared side is gone; its ends stay on the outline.
        assert_eq!(
            u[0][0],
            [
                (0.0, 0.0),
                (1.0, 0.0),
                (2.0, 0.0),
                (2.0, 1.0),
                (1.0, 1.0),
                (0.0, 1.0),
                (0.0, 0.0)
            ]
        );
    }

    #[test]
    fn a_ring_of_squares_leaves_a_hole_and_apart_ones_stay_apart() {
        let mut ring = Vec::new();
        for (x, y) in [
            (0, 0),
            (1, 0),
            (2, 0),
            (0, 1),
            (2, 1),
            (0, 2),
            (1, 2),
            (2, 2),
        ] {
            ring.push(square(x as f64, y as f64));
        }
        let u = union(ring).unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].len(), 2, "{u:?}");
        assert!(signed_area(&u[0][1]) < 0.0);
        let apart = union(vec![square(0.0, 0.0), square(5.0, 5.0)]).unwrap();
        assert_eq!(apart.len(), 2);
    }

    #[test]
    fn overlapping_squares_meet_where_their_sides_cross() {
        let u = union(vec![square(0.0, 0.0), square(0.5, 0.5)]).unwrap();
        assert_eq!(u.len(), 1);
        let outline = &u[0][0];
        // Four corners of each square but the two swallowed, plus the two
        // crossings, closed.
        assert_eq!(outline.len(), 9, "{outline:?}");
        assert!(!outline.contains(&(1.0, 1.0)) && !outline.contains(&(0.5, 0.5)));
    }

    #[test]
    fn a_grid_of_thousands_of_cells_is_one_outline() {
        // Cells of a hundredth of a degree, fifty a side.
        let cells: Vec<Polygon> = (0..2_500)
            .map(|i| {
                let (x, y, d) = (f64::from(i % 50) * 0.01, f64::from(i / 50) * 0.01, 0.01);
                vec![vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]]
            })
            .collect();
        let u = union(cells).unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].len(), 1, "no holes");
        // Fifty cells a side, each side's vertices kept.
        assert_eq!(u[0][0].len(), 4 * 50 + 1);
    }

    #[test]
    fn lines_that_all_cross_each_other_are_refused_not_cut_forever() {
        let lines: Vec<Lines> = (0..1_500)
            .map(|i| {
                let y = f64::from(i) * 0.001;
                vec![vec![(0.0, y), (10.0, 1.5 - y)]]
            })
            .collect();
        assert!(union_lines(lines).is_none());
        // Lines whose crossings are all at different points.
        let few: Vec<Lines> = (0..30)
            .map(|i| {
                let i = f64::from(i);
                vec![vec![(0.0, i * 0.01), (10.0, -i * i * 0.001)]]
            })
            .collect();
        // Each line is cut at the 29 others.
        assert_eq!(union_lines(few).unwrap().len(), 30 * 30);
    }

    #[test]
    fn overlapping_lines_become_one_run() {
        let u = union_lines(vec![
            vec![vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]],
            vec![vec![(1.0, 0.0), (2.0, 0.0), (2.0, 1.0)]],
        ])
        .unwrap();
        assert_eq!(u, [vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (2.0, 1.0)]]);
    }
}
