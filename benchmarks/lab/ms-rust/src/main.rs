//! wordfreq: the most frequent words of a text (its arguments, or a built-in one),
//! with no crates beyond the standard library.
use std::collections::HashMap;
use std::env;

const TEXT: &str = "build in one stage and ship in another: the stage that builds \
                    keeps the toolchain, the stage that ships keeps the program";

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let text = if args.is_empty() { TEXT.to_string() } else { args.join(" ") };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (word, count) in ranked.iter().take(4) {
        println!("{count} {word}");
    }
}
