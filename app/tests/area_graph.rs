//! The graph of `app`'s areas (the folders and top-level modules of `app/src`): which area names
//! which through `crate::`. An area that imports another which imports it back (directly or
//! around a longer circle) can be neither built, tested nor understood alone.
//!
//! There are none. When an area needs another that needs it back, move what both need below them
//! (as `clock`, `enums` and `auth` are), compose the two at the root (`customer_360`, `composed`,
//! `registry`, `export_sources`), or make the call a job queued in the same transaction.

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
fn no_import_closes_a_circle_between_areas() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = area_graph(&src);
    assert!(graph.contains_key("customers") && graph["customer_360"].contains("customers"));
    let circles = circle_edges(&graph);
    assert!(
        circles.is_empty(),
        "these imports close a circle between areas (area, the area it names): {circles:?}"
    );
}
