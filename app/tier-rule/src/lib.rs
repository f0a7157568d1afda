//! The tier rule language: small enough to read aloud, checked as the admin types.
//!
//! ```text
//! rule    := or
//! or      := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | "(" or ")" | test
//! test    := metric op number | "tag" "=" text | "stage" "=" stage
//! metric  := R | F | M | spend | orders        (spend in whole currency units)
//! op      := >= | <= | > | < | = | !=
//! ```
//! Keywords also read in Chinese: 且 (and), 或 (or), 非 (not), 标签 (tag), 阶段 (stage),
//! 消费 (spend), 订单数 (orders). An empty rule matches every customer (the catch-all tier).
//!
//! The admin's page parses each rule as it is typed (WASM), the server parses it again before
//! saving and when grading customers, and `./guanxi fuzz` throws arbitrary text at it.

use serde::{Deserialize, Serialize};

/// A customer's lifecycle stage, derived from their orders: none, one, several, or enough over a
/// long enough span to be loyal. Defined here because rules test it (`stage = loyal`); the
/// customers area re-exports it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStage {
    Potential,
    New,
    Repeat,
    Loyal,
}

/// Text that names no lifecycle stage.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UnknownStage;

impl LifecycleStage {
    pub const ALL: &'static [LifecycleStage] = &[
        LifecycleStage::Potential,
        LifecycleStage::New,
        LifecycleStage::Repeat,
        LifecycleStage::Loyal,
    ];

    /// The stored and rule-language name.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStage::Potential => "potential",
            LifecycleStage::New => "new",
            LifecycleStage::Repeat => "repeat",
            LifecycleStage::Loyal => "loyal",
        }
    }

    pub fn parse(value: &str) -> Result<Self, UnknownStage> {
        Self::ALL.iter().copied().find(|stage| stage.as_str() == value).ok_or(UnknownStage)
    }
}

/// A number the rule can compare.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Metric {
    R,
    F,
    M,
    /// Lifetime spend in whole currency units.
    Spend,
    /// Lifetime order count.
    Orders,
}

impl Metric {
    pub fn label(self) -> &'static str {
        match self {
            Metric::R => "R",
            Metric::F => "F",
            Metric::M => "M",
            Metric::Spend => "spend",
            Metric::Orders => "orders",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

impl Op {
    pub fn sql(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Eq => "=",
            Op::Ne => "<>",
        }
    }

    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Op::Ge => left >= right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Lt => left < right,
            Op::Eq => (left - right).abs() < f64::EPSILON,
            Op::Ne => (left - right).abs() >= f64::EPSILON,
        }
    }
}

/// A parsed rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Metric, Op, f64),
    HasTag(String),
    Stage(LifecycleStage),
}

/// Why a rule did not parse, and where (character offset).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleError {
    pub position: usize,
    pub expected: &'static str,
}

/// What a rule is evaluated against.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub r: i16,
    pub f: i16,
    pub m: i16,
    pub spend_minor: i64,
    pub orders: i32,
    pub stage: Option<LifecycleStage>,
    pub tags: Vec<String>,
}

impl Facts {
    pub fn metric(&self, metric: Metric) -> f64 {
        match metric {
            Metric::R => self.r.into(),
            Metric::F => self.f.into(),
            Metric::M => self.m.into(),
            Metric::Spend => self.spend_minor as f64 / 100.0,
            Metric::Orders => self.orders.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Number(f64),
    Quoted(String),
    Op(Op),
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<(usize, Token)>, RuleError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let token = match c {
            '(' | '（' => {
                i += 1;
                Token::Open
            }
            ')' | '）' => {
                i += 1;
                Token::Close
            }
            '>' | '<' | '=' | '!' | '≥' | '≤' => {
                let next = chars.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    ('>', Some('=')) => (Op::Ge, 2),
                    ('<', Some('=')) => (Op::Le, 2),
                    ('!', Some('=')) => (Op::Ne, 2),
                    ('=', Some('=')) => (Op::Eq, 2),
                    ('>', _) => (Op::Gt, 1),
                    ('<', _) => (Op::Lt, 1),
                    ('=', _) => (Op::Eq, 1),
                    ('≥', _) => (Op::Ge, 1),
                    ('≤', _) => (Op::Le, 1),
                    _ => return Err(RuleError { position: start, expected: "operator" }),
                };
                i += len;
                Token::Op(op)
            }
            '"' | '“' | '\'' | '「' => {
                let close = match c {
                    '“' => '”',
                    '「' => '」',
                    other => other,
                };
                i += 1;
                let begin = i;
                while i < chars.len() && chars[i] != close {
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(RuleError { position: start, expected: "closing quote" });
                }
                let quoted: String = chars[begin..i].iter().collect();
                i += 1;
                Token::Quoted(quoted)
            }
            c if c.is_ascii_digit() || c == '.' => {
                while i < chars.len()
                    && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '_')
                {
                    i += 1;
                }
                let number: String = chars[start..i].iter().filter(|c| **c != '_').collect();
                Token::Number(
                    number
                        .parse()
                        .map_err(|_| RuleError { position: start, expected: "number" })?,
                )
            }
            c if c.is_alphanumeric() => {
                while i < chars.len() && chars[i].is_alphanumeric() && !"且或非".contains(chars[i])
                {
                    i += 1;
                }
                if i == start {
                    i += 1;
                }
                Token::Word(chars[start..i].iter().collect())
            }
            _ => return Err(RuleError { position: start, expected: "rule" }),
        };
        out.push((start, token));
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    end: usize,
    /// Brackets and `not`s open around the current point.
    depth: usize,
}

/// Longest rule accepted, in characters: far beyond any real rule.
pub const MAX_RULE_CHARS: usize = 2000;
/// Deepest nesting of brackets and `not`: deeper rules would exhaust the stack of the thread
/// that parses or evaluates them.
pub const MAX_RULE_DEPTH: usize = 32;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(_, t)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.at).map(|(p, _)| *p).unwrap_or(self.end)
    }

    fn error(&self, expected: &'static str) -> RuleError {
        RuleError { position: self.position(), expected }
    }

    fn keyword(&mut self, words: &[&str]) -> bool {
        if let Some(Token::Word(w)) = self.peek()
            && words.iter().any(|k| w.eq_ignore_ascii_case(k))
        {
            self.at += 1;
            return true;
        }
        false
    }

    fn or(&mut self) -> Result<Expr, RuleError> {
        let mut left = self.and()?;
        while self.keyword(&["or", "或"]) {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, RuleError> {
        let mut left = self.unary()?;
        while self.keyword(&["and", "且"]) {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, RuleError> {
        let opens = matches!(self.peek(), Some(Token::Open))
            || matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case("not") || w == "非");
        if opens {
            if self.depth >= MAX_RULE_DEPTH {
                return Err(self.error("fewer brackets and nots (at most 32 deep)"));
            }
            self.depth += 1;
        }
        let parsed = self.unary_inner();
        if opens {
            self.depth -= 1;
        }
        parsed
    }

    fn unary_inner(&mut self) -> Result<Expr, RuleError> {
        if self.keyword(&["not", "非"]) {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Token::Close) {
                return Err(self.error(")"));
            }
            self.at += 1;
            return Ok(inner);
        }
        self.test()
    }

    fn test(&mut self) -> Result<Expr, RuleError> {
        let Some(Token::Word(word)) = self.peek().cloned() else {
            return Err(self.error("R, F, M, spend, orders, tag or stage"));
        };
        self.at += 1;
        let metric = match word.to_lowercase().as_str() {
            "r" => Some(Metric::R),
            "f" => Some(Metric::F),
            "m" => Some(Metric::M),
            "spend" | "消费" => Some(Metric::Spend),
            "orders" | "订单数" => Some(Metric::Orders),
            _ => None,
        };
        if let Some(metric) = metric {
            let Some(Token::Op(op)) = self.peek().cloned() else {
                return Err(self.error("operator"));
            };
            self.at += 1;
            let Some(Token::Number(n)) = self.peek().cloned() else {
                return Err(self.error("number"));
            };
            self.at += 1;
            return Ok(Expr::Compare(metric, op, n));
        }
        match word.to_lowercase().as_str() {
            "tag" | "标签" => {
                if self.peek() != Some(&Token::Op(Op::Eq)) && !self.keyword(&["has"]) {
                    return Err(self.error("="));
                }
                if self.peek() == Some(&Token::Op(Op::Eq)) {
                    self.at += 1;
                }
                match self.peek().cloned() {
                    Some(Token::Quoted(tag)) | Some(Token::Word(tag)) => {
                        self.at += 1;
                        Ok(Expr::HasTag(tag))
                    }
                    _ => Err(self.error("tag")),
                }
            }
            "stage" | "阶段" => {
                if self.peek() != Some(&Token::Op(Op::Eq)) {
                    return Err(self.error("="));
                }
                self.at += 1;
                let Some(Token::Word(stage)) = self.peek().cloned() else {
                    return Err(self.error("stage"));
                };
                let stage = LifecycleStage::parse(&stage.to_lowercase())
                    .map_err(|_| self.error("potential, new, repeat or loyal"))?;
                self.at += 1;
                Ok(Expr::Stage(stage))
            }
            _ => {
                self.at -= 1;
                Err(self.error("R, F, M, spend, orders, tag or stage"))
            }
        }
    }
}

/// Parses a rule; `None` for an empty rule (matches everyone).
pub fn parse(text: &str) -> Result<Option<Expr>, RuleError> {
    if text.chars().count() > MAX_RULE_CHARS {
        return Err(RuleError {
            position: MAX_RULE_CHARS,
            expected: "a shorter rule (at most 2,000 characters)",
        });
    }
    let tokens = tokens(text)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser { tokens, at: 0, end: text.chars().count(), depth: 0 };
    let expr = parser.or()?;
    if parser.at < parser.tokens.len() {
        return Err(parser.error("and / or"));
    }
    Ok(Some(expr))
}

impl Expr {
    pub fn eval(&self, facts: &Facts) -> bool {
        match self {
            Expr::And(a, b) => a.eval(facts) && b.eval(facts),
            Expr::Or(a, b) => a.eval(facts) || b.eval(facts),
            Expr::Not(a) => !a.eval(facts),
            Expr::Compare(metric, op, n) => op.holds(facts.metric(*metric), *n),
            Expr::HasTag(tag) => facts.tags.iter().any(|t| t == tag),
            Expr::Stage(stage) => facts.stage == Some(*stage),
        }
    }

    /// The metrics the rule looks at, in order, for "because M=5, F=4".
    pub fn metrics(&self) -> Vec<Metric> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out.dedup();
        out
    }

    fn collect(&self, out: &mut Vec<Metric>) {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.collect(out);
                b.collect(out);
            }
            Expr::Not(a) => a.collect(out),
            Expr::Compare(metric, _, _) => {
                if !out.contains(metric) {
                    out.push(*metric);
                }
            }
            Expr::HasTag(_) | Expr::Stage(_) => {}
        }
    }
}

/// "M=5, F=4": the values of the metrics a rule looks at.
pub fn explain(expr: Option<&Expr>, facts: &Facts) -> String {
    expr.map(|e| {
        e.metrics()
            .into_iter()
            .map(|m| match m {
                Metric::Spend => format!("spend={:.0}", facts.metric(m)),
                _ => format!("{}={}", m.label(), facts.metric(m)),
            })
            .collect::<Vec<_>>()
            .join(", ")
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(r: i16, f: i16, m: i16) -> Facts {
        Facts {
            r,
            f,
            m,
            spend_minor: 1_234_500,
            orders: 7,
            stage: Some(LifecycleStage::Repeat),
            tags: vec!["VIP".into()],
        }
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        let rule = parse("M >= 4 and F >= 3 or tag = VIP").unwrap().unwrap();
        assert!(rule.eval(&facts(1, 1, 1)), "the tag alone matches");
        let no_tag = Facts { tags: vec![], ..facts(1, 5, 5) };
        assert!(rule.eval(&no_tag));
        assert!(!rule.eval(&Facts { tags: vec![], ..facts(5, 2, 5) }));
    }

    #[test]
    fn chinese_keywords_parentheses_and_negation() {
        let rule = parse("（M ≥ 4 或 F >= 5）且 非 阶段 = new 且 消费 > 10000").unwrap().unwrap();
        assert!(rule.eval(&facts(3, 1, 4)));
        assert!(!rule.eval(&Facts { stage: Some(LifecycleStage::New), ..facts(3, 1, 4) }));
        assert!(!rule.eval(&Facts { spend_minor: 900_000, ..facts(3, 1, 4) }));
        let tagged = parse("标签 = “重点客户”").unwrap().unwrap();
        assert_eq!(tagged, Expr::HasTag("重点客户".into()));
    }

    #[test]
    fn an_empty_rule_catches_everyone_and_errors_say_where() {
        assert_eq!(parse("   "), Ok(None));
        assert_eq!(parse("M >= "), Err(RuleError { position: 5, expected: "number" }));
        assert_eq!(parse("M >= 4 F >= 3"), Err(RuleError { position: 7, expected: "and / or" }));
        assert_eq!(
            parse("Q > 1"),
            Err(RuleError { position: 0, expected: "R, F, M, spend, orders, tag or stage" })
        );
        assert_eq!(parse("(M > 1"), Err(RuleError { position: 6, expected: ")" }));
        assert!(parse("stage = vip").is_err());
    }

    #[test]
    fn explanations_list_the_metrics_the_rule_reads() {
        let rule = parse("M >= 4 and F >= 3 and M < 6").unwrap();
        assert_eq!(explain(rule.as_ref(), &facts(2, 4, 5)), "M=5, F=4");
        let spend = parse("spend >= 5000").unwrap();
        assert_eq!(explain(spend.as_ref(), &facts(1, 1, 1)), "spend=12345");
    }

    #[test]
    fn deeply_nested_or_overlong_rules_are_refused_instead_of_overflowing_the_stack() {
        // 100,000 brackets once aborted the whole process.
        let deep = format!("{}F >= 1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&deep).is_err());
        let nots = format!("{}F >= 1", "not ".repeat(400));
        assert!(parse(&nots).is_err());
        let fine = format!("{}F >= 1{}", "(".repeat(MAX_RULE_DEPTH), ")".repeat(MAX_RULE_DEPTH));
        assert!(parse(&fine).unwrap().is_some());
        let too_deep =
            format!("{}F >= 1{}", "(".repeat(MAX_RULE_DEPTH + 1), ")".repeat(MAX_RULE_DEPTH + 1));
        assert_eq!(parse(&too_deep).unwrap_err().position, MAX_RULE_DEPTH);
        let long = vec!["F >= 1"; 400].join(" and ");
        assert_eq!(parse(&long).unwrap_err().position, MAX_RULE_CHARS);
    }
}
