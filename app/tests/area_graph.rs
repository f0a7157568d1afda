//! The graph of `app`'s areas (the folders and top-level modules of `app/src`): which area names
//! which through `crate::`. An area that imports another which imports it back (directly or
//! around a longer circle) can be neither built, tested nor understood alone.
//!
//! The first wave left most areas in one circle. `KNOWN_CIRCLE_EDGES` lists every import that
//! closes a circle today: a new one fails this test, and so does a listed one that no longer closes
//! a circle (delete it from the list, so the list only shrinks). Untangling an area means moving
//! what others need from it below it, or making the call a job or an event, then deleting lines.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `crate::area` an area's files name (comments left out), `use crate::{a, b::c}` included.
fn area_graph(src: &Path) -> Graph {
    let mut areas = BTreeSet::new();
    for entry in fs::read_dir(src).expect("app/src") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        let name = name.strip_suffix(".rs").unwrap_or(&name).to_owned();
        if name != "lib" {
            areas.insert(name);
        }
    }
    let mut graph: Graph = areas.iter().map(|a| (a.clone(), BTreeSet::new())).collect();
    for area in &areas {
        let mut files = Vec::new();
        collect_rs(&src.join(area), &mut files);
        collect_rs(&src.join(format!("{area}.rs")), &mut files);
        for file in files {
            let text = String::from_utf8_lossy(&fs::read(&file).expect("source file")).into_owned();
            for named in named_areas(&text) {
                if named != *area && areas.contains(&named) {
                    graph.get_mut(area).expect("area").insert(named);
                }
            }
        }
    }
    graph
}

fn collect_rs(path: &Path, files: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("folder") {
            collect_rs(&entry.expect("entry").path(), files);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        files.push(path.to_path_buf());
    }
}

/// The first path segment after each `crate::` (each top-level item of a `crate::{...}` group).
fn named_areas(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let macro_crate = rest[..at].ends_with('$');
        rest = &rest[at + "crate::".len()..];
        if macro_crate {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(first_ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(ch);
                }
            }
            found.push(first_ident(&item));
        } else {
            found.push(first_ident(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

fn first_ident(text: &str) -> String {
    text.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// Edges whose two ends lie on a common circle (the same strongly connected component).
fn circle_edges(graph: &Graph) -> BTreeSet<(String, String)> {
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(node) = stack.pop() {
            if node == to {
                return true;
            }
            if seen.insert(node.clone()) {
                stack.extend(graph.get(&node).into_iter().flatten().cloned());
            }
        }
        false
    };
    graph
        .iter()
        .flat_map(|(from, tos)| tos.iter().map(move |to| (from.clone(), to.clone())))
        .filter(|(from, to)| reaches(to, from))
        .collect()
}

#[test]
fn the_scanner_reads_paths_groups_and_skips_comments_and_macro_crates() {
    let text =
        "use crate::{a::X, b, c::{d, e}};\nlet x = crate::f::g();\n// crate::h\n$crate::i::j";
    assert_eq!(named_areas(text), vec!["a", "b", "c", "f"]);
    let graph: Graph = [("a", &["b"][..]), ("b", &["a", "c"]), ("c", &[])]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.iter().map(|s| s.to_string()).collect()))
        .collect();
    let expected: BTreeSet<_> =
        [("a", "b"), ("b", "a")].into_iter().map(|(a, b)| (a.to_owned(), b.to_owned())).collect();
    assert_eq!(circle_edges(&graph), expected);
}

#[test]
fn no_import_closes_a_new_circle_between_areas() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let now = circle_edges(&area_graph(&src));
    let known: BTreeSet<(String, String)> =
        KNOWN_CIRCLE_EDGES.iter().map(|(from, to)| (from.to_string(), to.to_string())).collect();
    let new: Vec<_> = now.difference(&known).collect();
    let gone: Vec<_> = known.difference(&now).collect();
    assert!(
        new.is_empty(),
        "these imports close a circle between areas (area, the area it names): {new:?}"
    );
    assert!(
        gone.is_empty(),
        "these no longer close a circle: delete them from KNOWN_CIRCLE_EDGES: {gone:?}"
    );
}

/// Imports that close a circle today (area -> the area it names). Only ever delete lines.
const KNOWN_CIRCLE_EDGES: &[(&str, &str)] = &[
    ("audit", "auth"),
    ("audit", "exports"),
    ("audit", "i18n"),
    ("audit", "state"),
    ("audit", "ui"),
    ("auth", "audit"),
    ("auth", "i18n"),
    ("auth", "state"),
    ("auth", "ui"),
    ("backups", "audit"),
    ("backups", "auth"),
    ("backups", "events"),
    ("backups", "i18n"),
    ("backups", "jobs"),
    ("backups", "state"),
    ("backups", "ui"),
    ("company", "audit"),
    ("company", "auth"),
    ("company", "i18n"),
    ("company", "state"),
    ("company", "ui"),
    ("customers", "audit"),
    ("customers", "auth"),
    ("customers", "company"),
    ("customers", "events"),
    ("customers", "exports"),
    ("customers", "i18n"),
    ("customers", "interactions"),
    ("customers", "jobs"),
    ("customers", "loyalty"),
    ("customers", "orders"),
    ("customers", "pipeline"),
    ("customers", "state"),
    ("customers", "tasks"),
    ("customers", "tickets"),
    ("customers", "tiers"),
    ("customers", "timeline"),
    ("customers", "ui"),
    ("events", "auth"),
    ("events", "i18n"),
    ("exports", "audit"),
    ("exports", "auth"),
    ("exports", "company"),
    ("exports", "customers"),
    ("exports", "events"),
    ("exports", "i18n"),
    ("exports", "interactions"),
    ("exports", "jobs"),
    ("exports", "leads"),
    ("exports", "orders"),
    ("exports", "pipeline"),
    ("exports", "state"),
    ("exports", "tasks"),
    ("exports", "tickets"),
    ("exports", "ui"),
    ("i18n", "customers"),
    ("i18n", "exports"),
    ("i18n", "timeline"),
    ("imports", "audit"),
    ("imports", "auth"),
    ("imports", "company"),
    ("imports", "customers"),
    ("imports", "events"),
    ("imports", "exports"),
    ("imports", "i18n"),
    ("imports", "interactions"),
    ("imports", "jobs"),
    ("imports", "orders"),
    ("imports", "state"),
    ("imports", "tiers"),
    ("imports", "timeline"),
    ("imports", "ui"),
    ("interactions", "audit"),
    ("interactions", "auth"),
    ("interactions", "customers"),
    ("interactions", "events"),
    ("interactions", "i18n"),
    ("interactions", "state"),
    ("interactions", "timeline"),
    ("interactions", "ui"),
    ("jobs", "audit"),
    ("jobs", "auth"),
    ("jobs", "backups"),
    ("jobs", "customers"),
    ("jobs", "events"),
    ("jobs", "exports"),
    ("jobs", "i18n"),
    ("jobs", "imports"),
    ("jobs", "loyalty"),
    ("jobs", "orders"),
    ("jobs", "pipeline"),
    ("jobs", "state"),
    ("jobs", "surveys"),
    ("jobs", "tasks"),
    ("jobs", "tickets"),
    ("jobs", "tiers"),
    ("jobs", "ui"),
    ("leads", "audit"),
    ("leads", "auth"),
    ("leads", "customers"),
    ("leads", "events"),
    ("leads", "exports"),
    ("leads", "i18n"),
    ("leads", "imports"),
    ("leads", "pipeline"),
    ("leads", "state"),
    ("leads", "ui"),
    ("loyalty", "audit"),
    ("loyalty", "auth"),
    ("loyalty", "customers"),
    ("loyalty", "i18n"),
    ("loyalty", "jobs"),
    ("loyalty", "state"),
    ("loyalty", "timeline"),
    ("loyalty", "ui"),
    ("orders", "audit"),
    ("orders", "auth"),
    ("orders", "customers"),
    ("orders", "events"),
    ("orders", "i18n"),
    ("orders", "jobs"),
    ("orders", "loyalty"),
    ("orders", "state"),
    ("orders", "tiers"),
    ("orders", "timeline"),
    ("orders", "ui"),
    ("pipeline", "audit"),
    ("pipeline", "auth"),
    ("pipeline", "company"),
    ("pipeline", "customers"),
    ("pipeline", "events"),
    ("pipeline", "exports"),
    ("pipeline", "i18n"),
    ("pipeline", "jobs"),
    ("pipeline", "orders"),
    ("pipeline", "state"),
    ("pipeline", "tasks"),
    ("pipeline", "timeline"),
    ("pipeline", "ui"),
    ("state", "auth"),
    ("state", "company"),
    ("state", "events"),
    ("surveys", "audit"),
    ("surveys", "auth"),
    ("surveys", "customers"),
    ("surveys", "events"),
    ("surveys", "exports"),
    ("surveys", "i18n"),
    ("surveys", "jobs"),
    ("surveys", "state"),
    ("surveys", "tickets"),
    ("surveys", "tiers"),
    ("surveys", "timeline"),
    ("surveys", "ui"),
    ("tasks", "audit"),
    ("tasks", "auth"),
    ("tasks", "customers"),
    ("tasks", "events"),
    ("tasks", "exports"),
    ("tasks", "i18n"),
    ("tasks", "pipeline"),
    ("tasks", "state"),
    ("tasks", "tickets"),
    ("tasks", "ui"),
    ("tickets", "audit"),
    ("tickets", "auth"),
    ("tickets", "company"),
    ("tickets", "customers"),
    ("tickets", "events"),
    ("tickets", "exports"),
    ("tickets", "i18n"),
    ("tickets", "pipeline"),
    ("tickets", "state"),
    ("tickets", "surveys"),
    ("tickets", "tasks"),
    ("tickets", "tiers"),
    ("tickets", "timeline"),
    ("tickets", "ui"),
    ("tiers", "audit"),
    ("tiers", "auth"),
    ("tiers", "customers"),
    ("tiers", "events"),
    ("tiers", "i18n"),
    ("tiers", "jobs"),
    ("tiers", "state"),
    ("tiers", "timeline"),
    ("tiers", "ui"),
    ("timeline", "auth"),
    ("timeline", "customers"),
    ("ui", "company"),
    ("ui", "i18n"),
];
