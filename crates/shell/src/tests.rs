//! Unit tests: each language feature and utility against a fake host that records what it was
//! asked to do, plus a fuzz-style property that no input makes the shell panic.

use std::collections::BTreeMap;

use crate::{Env, Host, Io, Shell};

/// A fake host: `hostname`, `kubectl` and `fail` commands, an in-memory file system with
/// directories, and a virtual clock.
/// One recorded host command: argv, stdin, exported environment.
type Call = (Vec<String>, String, Vec<(String, String)>);

#[derive(Default)]
struct Fake {
    calls: Vec<Call>,
    files: BTreeMap<String, String>,
    dirs: Vec<String>,
    slept: f64,
}

impl Host for Fake {
    fn exec(&mut self, env: &Env, args: &[String], stdin: &str, io: &mut Io) -> i32 {
        self.calls
            .push((args.to_vec(), stdin.to_string(), env.exported()));
        match args.first().map(String::as_str) {
            Some("hostname") => {
                io.out("web-0\n");
                0
            }
            Some("kubectl") => {
                io.out(&format!("kubectl {}\n", args[1..].join(" ")));
                0
            }
            Some("fail") => {
                io.err("boom\n");
                3
            }
            Some(other) if env.dash => {
                io.err(&format!("{}: {}: {other}: not found\n", env.arg0, env.line));
                127
            }
            Some(other) => {
                io.err(&format!("sh: {other}: not found\n"));
                127
            }
            None => 0,
        }
    }
    fn sleep(&mut self, seconds: f64) {
        self.slept += seconds;
    }
    fn read_file(&mut self, path: &str) -> Result<String, String> {
        if self.dirs.iter().any(|d| d == path) {
            return Err("read error: Is a directory".to_string());
        }
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| format!("can't open '{path}': No such file or directory"))
    }
    fn write_file(&mut self, path: &str, data: &str, append: bool) -> Result<(), String> {
        let dir = match path.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => path[..i].to_string(),
            None => "/".to_string(),
        };
        if path.starts_with('/') && dir != "/" && !self.dirs.contains(&dir) {
            return Err(format!("can't create {path}: nonexistent directory"));
        }
        let f = self.files.entry(path.to_string()).or_default();
        if append {
            f.push_str(data);
        } else {
            *f = data.to_string();
        }
        Ok(())
    }
    fn has_command(&self, name: &str) -> bool {
        matches!(name, "hostname" | "kubectl" | "fail")
    }
}

fn run_with(src: &str, host: &mut Fake) -> (i32, String, String) {
    let mut sh = Shell::new();
    let mut io = Io::new();
    let st = sh.run(src, host, &mut io);
    (st, io.stdout(), io.stderr())
}

fn run(src: &str) -> (i32, String, String) {
    run_with(src, &mut Fake::default())
}

fn out(src: &str) -> String {
    let (_, o, e) = run(src);
    assert_eq!(e, "", "unexpected stderr for {src:?}");
    o
}

#[test]
fn echo_quotes_and_escapes() {
    assert_eq!(out("echo hello   world"), "hello world\n");
    assert_eq!(out("echo 'a  b' \"c  d\""), "a  b c  d\n");
    assert_eq!(out("echo a\\ b \\$x"), "a b $x\n");
    assert_eq!(out("echo -n hi"), "hi");
    assert_eq!(out("echo -e 'a\\tb\\nc'"), "a\tb\nc\n");
    assert_eq!(out("echo 'a\\nb'"), "a\\nb\n");
    assert_eq!(out("echo \"it's\" 'say \"hi\"'"), "it's say \"hi\"\n");
    assert_eq!(out("echo a # comment"), "a\n");
    assert_eq!(out("echo a#b"), "a#b\n");
    assert_eq!(out("echo \"a\\\"b\\\\c\\$d\\e\""), "a\"b\\c$d\\e\n");
}

#[test]
fn variables_and_parameter_expansion() {
    assert_eq!(out("A=1; echo $A ${A} \"$A\"x"), "1 1 1x\n");
    assert_eq!(out("echo ${U:-def} ${U-d2} \"${U:+alt}\"."), "def d2 .\n");
    assert_eq!(out("E=; echo ${E:-x} ${E-y}."), "x .\n");
    assert_eq!(out("A=v; echo ${A:+alt} ${#A}"), "alt 1\n");
    assert_eq!(out("echo ${N:=set}; echo $N"), "set\nset\n");
    assert_eq!(
        out("P=a/b/c.txt; echo ${P##*/} ${P%.*} ${P#*/} ${P%%/*}"),
        "c.txt a/b/c b/c.txt a\n"
    );
    let (st, _, e) = run("echo ${X:?missing}");
    assert_eq!(st, 2);
    assert_eq!(e, "sh: X: missing\n");
    let (st, _, e) = run("echo ${A!}");
    assert_eq!(st, 2);
    assert_eq!(e, "sh: syntax error: bad substitution\n");
}

#[test]
fn status_and_positional() {
    assert_eq!(out("false; echo $?; true; echo $?"), "1\n0\n");
    assert_eq!(
        out("set -- a 'b c' d; echo $# $1 $2; for x in \"$@\"; do echo \"[$x]\"; done"),
        "3 a b c\n[a]\n[b c]\n[d]\n"
    );
    assert_eq!(out("set -- a b; shift; echo $1 $#"), "b 1\n");
    assert_eq!(
        out("f() { echo \"$# $*\"; return 4; }; f x y; echo $?"),
        "2 x y\n4\n"
    );
    assert_eq!(
        out("set --; for x in \"$@\"; do echo no; done; echo \"[$@]\""),
        "[]\n"
    );
}

#[test]
fn command_substitution_and_arithmetic() {
    assert_eq!(out("echo $(echo a $(echo b)) `echo c`"), "a b c\n");
    assert_eq!(out("x=$(printf 'l1\\nl2\\n\\n'); echo \"$x\""), "l1\nl2\n");
    assert_eq!(
        out("echo $((1 + 2 * 3)) $(( (1+2)*3 )) $((7 / 2)) $((7 % 3)) $((2 > 1)) $((-3))"),
        "7 9 3 1 1 -3\n"
    );
    assert_eq!(
        out("i=4; echo $((i + 1)) $(($i * 2)); : $((i += 2)); echo $i"),
        "5 8\n6\n"
    );
    assert_eq!(out("echo $((1 == 1 && 0 || 5))"), "1\n");
    let (st, _, e) = run("echo $((1/0))");
    assert_eq!((st, e.as_str()), (2, "sh: divide by zero\n"));
    // A command substitution's status becomes $? of an assignment-only command.
    assert_eq!(out("x=$(false); echo $?"), "1\n");
    // Variables set inside $(...) do not leak.
    assert_eq!(out("y=1; z=$(y=2; echo $y); echo $y $z"), "1 2\n");
}

#[test]
fn field_splitting() {
    assert_eq!(
        out("for i in $(seq 0 2); do echo \"n$i\"; done"),
        "n0\nn1\nn2\n"
    );
    assert_eq!(out("v='a   b'; for w in $v; do echo \"[$w]\"; done; for w in \"$v\"; do echo \"[$w]\"; done"), "[a]\n[b]\n[a   b]\n");
    assert_eq!(
        out("IFS=:; v=a:b::c; for w in $v; do echo \"[$w]\"; done"),
        "[a]\n[b]\n[]\n[c]\n"
    );
    assert_eq!(
        out("e=''; for w in $e; do echo x; done; for w in \"$e\"; do echo y; done"),
        "y\n"
    );
}

#[test]
fn and_or_negation_pipelines() {
    assert_eq!(
        out("true && echo a || echo b; false && echo c || echo d"),
        "a\nd\n"
    );
    assert_eq!(out("! false && echo neg; ! true; echo $?"), "neg\n1\n");
    assert_eq!(
        out("printf 'b\\na\\nb\\n' | sort | uniq -c"),
        "      1 a\n      2 b\n"
    );
    assert_eq!(out("echo hi | cat | cat"), "hi\n");
    // Pipeline stages are subshells.
    assert_eq!(out("x=1; echo 2 | read x; echo $x"), "1\n");
    // stderr of an early stage is not piped, and keeps its order.
    let mut h = Fake::default();
    let (st, o, e) = run_with("fail | cat; echo after", &mut h);
    assert_eq!((st, o.as_str(), e.as_str()), (0, "after\n", "boom\n"));
    let (st, o, _) = run_with("fail 2>&1 | cat", &mut h);
    assert_eq!((st, o.as_str()), (0, "boom\n"));
}

#[test]
fn redirections_use_host_files() {
    let mut h = Fake::default();
    h.dirs.push("/usr/share/nginx/html".into());
    let (st, o, e) = run_with(
        "echo $(hostname) > /usr/share/nginx/html/index.html",
        &mut h,
    );
    assert_eq!((st, o.as_str(), e.as_str()), (0, "", ""));
    assert_eq!(h.files["/usr/share/nginx/html/index.html"], "web-0\n");
    run_with("echo more >> /usr/share/nginx/html/index.html", &mut h);
    assert_eq!(h.files["/usr/share/nginx/html/index.html"], "web-0\nmore\n");
    assert_eq!(
        run_with("cat < /usr/share/nginx/html/index.html", &mut h).1,
        "web-0\nmore\n"
    );
    let (st, _, e) = run_with("echo x > /nope/f", &mut h);
    assert_eq!(
        (st, e.as_str()),
        (1, "sh: can't create /nope/f: nonexistent directory\n")
    );
    let (st, _, e) = run_with("cat < missing", &mut h);
    assert_eq!(
        (st, e.as_str()),
        // busybox ash's own words (`errmsg(errno, "no such file")`), the path unquoted.
        (1, "sh: can't open missing: no such file\n")
    );
    let (_, o, e) = run_with("fail 2>/dev/null; echo ok >/dev/null; echo shown", &mut h);
    assert_eq!((o.as_str(), e.as_str()), ("shown\n", ""));
    run_with("fail > log 2>&1", &mut h);
    assert_eq!(h.files["log"], "boom\n");
    run_with("fail &> log2; echo out >&2", &mut h);
    assert_eq!(h.files["log2"], "boom\n");
    let (_, o, e) = run_with("fail 2>&1 >/dev/null", &mut h);
    assert_eq!((o.as_str(), e.as_str()), ("boom\n", ""));
    let (_, o, e) = run_with("echo to-err 1>&2", &mut h);
    assert_eq!((o.as_str(), e.as_str()), ("", "to-err\n"));
}

#[test]
fn heredocs_and_herestrings() {
    assert_eq!(
        out("X=1\ncat <<EOF\nval $X\n$(echo sub)\nEOF\necho done"),
        "val 1\nsub\ndone\n"
    );
    assert_eq!(out("cat <<'EOF'\nval $X `x`\nEOF"), "val $X `x`\n");
    assert_eq!(out("cat <<-EOF\n\t\tindented\n\tEOF"), "indented\n");
    assert_eq!(out("cat <<A; cat <<B\na\nA\nb\nB"), "a\nb\n");
    assert_eq!(out("cat <<EOF | grep b\na\nb\nEOF"), "b\n");
    assert_eq!(out("grep x <<< 'axb'"), "axb\n");
    let mut h = Fake::default();
    let (st, _, _) = run_with("kubectl apply -f - <<EOF\nkind: Pod\nEOF", &mut h);
    assert_eq!(st, 0);
    assert_eq!(h.calls[0].0, vec!["kubectl", "apply", "-f", "-"]);
    assert_eq!(h.calls[0].1, "kind: Pod\n");
}

#[test]
fn control_flow() {
    assert_eq!(out("for i in 0 1; do echo web-$i; done"), "web-0\nweb-1\n");
    assert_eq!(
        out("if false; then echo a; elif true; then echo b; else echo c; fi"),
        "b\n"
    );
    assert_eq!(out("if [ 1 -gt 2 ]; then echo a; else echo c; fi"), "c\n");
    assert_eq!(
        out("i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done"),
        "0\n1\n2\n"
    );
    assert_eq!(
        out("i=0; until [ $i -ge 2 ]; do i=$((i+1)); done; echo $i"),
        "2\n"
    );
    assert_eq!(
        out("for i in 1 2 3 4; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done"),
        "1\n3\n"
    );
    assert_eq!(
        out("for i in a b; do for j in 1 2; do [ $j = 2 ] && continue 2; echo $i$j; done; done"),
        "a1\nb1\n"
    );
    assert_eq!(
        out("case web-1 in web-0) echo zero;; web-*|db) echo other;; esac"),
        "other\n"
    );
    assert_eq!(
        out("case '*' in \"*\") echo star;; esac; case x in '*') echo no;; *) echo any;; esac"),
        "star\nany\n"
    );
    assert_eq!(out("{ echo a; echo b; } | wc -l"), "2\n");
    assert_eq!(out("x=1; (x=2; echo $x); echo $x"), "2\n1\n");
    assert_eq!(out("for p in 0 1 2; do\n  echo $p\ndone"), "0\n1\n2\n");
    assert_eq!(
        out("printf 'a b\\nc d\\n' | while read x y; do echo \"$y-$x\"; done"),
        "b-a\nd-c\n"
    );
    assert_eq!(out("sleep 1 & echo bg"), "bg\n");
}

#[test]
fn exit_and_errexit() {
    let mut sh = Shell::new();
    let mut io = Io::new();
    let mut h = Fake::default();
    let st = sh.run("echo a; exit 3; echo b", &mut h, &mut io);
    assert_eq!((st, io.stdout().as_str(), sh.exited()), (3, "a\n", Some(3)));
    let mut sh = Shell::new();
    assert_eq!(sh.run("(exit 4); echo $?", &mut h, &mut io), 0);
    assert_eq!(sh.exited(), None);
    assert_eq!(
        out("set -e; false || true; echo ok; false; echo no"),
        "ok\n"
    );
    assert_eq!(
        out("set -e; if false; then :; fi; ! true; echo survived"),
        "survived\n"
    );
}

#[test]
fn host_exec_sees_env_and_prefix_assignments() {
    let mut h = Fake::default();
    run_with(
        "export A=1; B=2; C=3 kubectl get pods -l app=nginx; kubectl version",
        &mut h,
    );
    assert_eq!(
        h.calls[0].0,
        vec!["kubectl", "get", "pods", "-l", "app=nginx"]
    );
    assert_eq!(
        h.calls[0].2,
        vec![("A".into(), "1".into()), ("C".into(), "3".into())]
    );
    assert_eq!(h.calls[1].2, vec![("A".to_string(), "1".to_string())]);
    let (st, _, e) = run_with("nosuch arg", &mut h);
    assert_eq!((st, e.as_str()), (127, "sh: nosuch: not found\n"));
    // Tutorial line: the template's `$i`/`$c` are inside single quotes and must stay literal.
    let mut h = Fake::default();
    let (_, o, _) = run_with("for p in 0 1; do kubectl get po web-$p --template '{{range $i, $c := .spec.containers}}{{$c.image}}{{end}}'; echo; done", &mut h);
    assert_eq!(
        h.calls[1].0[5],
        "{{range $i, $c := .spec.containers}}{{$c.image}}{{end}}"
    );
    assert!(o.starts_with("kubectl get po web-0 --template"));
    let mut h = Fake::default();
    run_with("kubectl patch statefulset web --type='json' -p='[{\"op\": \"replace\", \"path\": \"/x\", \"value\":\"v\"}]'", &mut h);
    assert_eq!(h.calls[0].0[4], "--type=json");
    assert_eq!(
        h.calls[0].0[5],
        "-p=[{\"op\": \"replace\", \"path\": \"/x\", \"value\":\"v\"}]"
    );
}

#[test]
fn sh_dash_c_runs_a_child_shell() {
    let mut h = Fake::default();
    h.dirs.push("/usr/share/nginx/html".into());
    let (st, _, _) = run_with(
        "for i in 0 1; do sh -c 'echo $(hostname) > /usr/share/nginx/html/index.html'; done",
        &mut h,
    );
    assert_eq!(st, 0);
    assert_eq!(h.files["/usr/share/nginx/html/index.html"], "web-0\n");
    assert_eq!(
        out("X=no; export Y=yes; sh -c 'echo \"$X$Y $0 $1\"' name arg"),
        "yes name arg\n"
    );
    assert_eq!(run("sh -c 'exit 5'; echo $?").1, "5\n");
    assert_eq!(out("echo 'echo from stdin' | sh"), "from stdin\n");
}

#[test]
fn syntax_errors_busybox_style() {
    assert_eq!(run("done").2, "sh: syntax error: unexpected \"done\"\n");
    assert_eq!(run("echo a; )").2, "sh: syntax error: unexpected \")\"\n");
    assert_eq!(
        run("if true; then fi").2,
        "sh: syntax error: unexpected \"fi\"\n"
    );
    assert_eq!(
        run("for i in 1; do echo").2,
        "sh: syntax error: unexpected end of file (expecting \"done\")\n"
    );
    assert_eq!(
        run("echo 'abc").2,
        "sh: syntax error: unterminated quoted string\n"
    );
    assert_eq!(run("| x").2, "sh: syntax error: unexpected \"|\"\n");
    assert_eq!(run("echo a |").0, 2);
}

#[test]
fn completeness_for_continuation_prompts() {
    for s in [
        "echo 'abc",
        "echo \"a",
        "for i in 1 2; do",
        "for i in 1 2; do\necho $i",
        "if true; then echo",
        "echo $(echo",
        "echo a \\",
        "echo a \\\n",
        "echo a |",
        "echo a &&",
        "cat <<EOF\nline",
        "cat <<EOF",
        "{ echo a",
        "case x in",
        "while true",
        "f() {",
        "echo ${A",
        "echo `x",
    ] {
        assert!(!Shell::is_complete(s), "{s:?} should be incomplete");
    }
    for s in [
        "echo hi",
        "",
        "done",
        "for i in 1; do echo; done",
        "cat <<EOF\nx\nEOF",
        "echo a; )",
        "# comment",
        "echo 'a\nb'",
        "echo a \\\\\n",
        "# comment \\\n",
    ] {
        assert!(Shell::is_complete(s), "{s:?} should be complete");
    }
}

#[test]
fn split_commands_into_prompt_units() {
    let src = "kubectl get pods\n\nfor i in 0 1; do\n  echo $i\ndone\ncat <<EOF\na\nEOF\n# note\necho 'x\ny'\n";
    let units = Shell::split_commands(src).unwrap();
    assert_eq!(
        units,
        vec![
            "kubectl get pods",
            "for i in 0 1; do\n  echo $i\ndone",
            "cat <<EOF\na\nEOF",
            "# note",
            "echo 'x\ny'",
        ]
    );
    assert!(Shell::split_commands("for i in 1; do\n").is_err());
}

#[test]
fn cd_pwd_and_env() {
    assert_eq!(
        out("cd /usr/share; pwd; cd ../lib/x; pwd; cd ..; echo $PWD"),
        "/usr/share\n/usr/lib/x\n/usr/lib\n"
    );
    assert_eq!(out("export Z=1 Y=2; env"), "Y=2\nZ=1\n");
    assert_eq!(out("export Z=1; env W=3 printenv W Z"), "3\n1\n");
    assert_eq!(out("unset Q; export Q=v; unset Q; echo \"[$Q]\""), "[]\n");
    assert_eq!(
        out("command -v kubectl echo nosuch; type echo"),
        "/usr/bin/kubectl\necho\necho is a shell builtin\n"
    );
    assert_eq!(
        out("which kubectl sort"),
        "/usr/bin/kubectl\n/usr/bin/sort\n"
    );
}

#[test]
fn printf_formats() {
    assert_eq!(
        out("printf '%s-%d|%5s|%-3s|%03d\\n' a 7 r l 5"),
        "a-7|    r|l  |005\n"
    );
    assert_eq!(out("printf '%s\\n' a b c"), "a\nb\nc\n");
    assert_eq!(
        out("printf '%x %o %.2f %c %%\\n' 255 8 3.14159 xyz"),
        "ff 10 3.14 x %\n"
    );
    let (st, o, e) = run("printf '%d\\n' abc");
    assert_eq!(
        (st, o.as_str(), e.as_str()),
        (1, "0\n", "printf: 'abc': expected a numeric value\n")
    );
}

#[test]
fn seq_variants() {
    assert_eq!(out("seq 3"), "1\n2\n3\n");
    assert_eq!(out("seq 2 4"), "2\n3\n4\n");
    assert_eq!(out("seq 0 2 6"), "0\n2\n4\n6\n");
    assert_eq!(out("seq 3 -1 1"), "3\n2\n1\n");
    assert_eq!(out("seq -s, 3"), "1,2,3\n");
    assert_eq!(out("seq -w 8 10"), "08\n09\n10\n");
    assert_eq!(out("seq 0.5 0.5 1.5"), "0.5\n1.0\n1.5\n");
    assert_eq!(out("seq 5 1"), "");
    let (st, _, e) = run("seq x");
    assert_eq!(
        (st, e.as_str()),
        (
            1,
            "seq: invalid floating point argument: 'x'\nTry 'seq --help' for more information.\n"
        )
    );
}

#[test]
fn sort_uniq() {
    assert_eq!(out("printf '10\\n9\\n2\\n' | sort"), "10\n2\n9\n");
    assert_eq!(out("printf '10\\n9\\n2\\n' | sort -n"), "2\n9\n10\n");
    assert_eq!(out("printf '10\\n9\\n2\\n' | sort -rn"), "10\n9\n2\n");
    assert_eq!(
        out("printf 'b 2\\na 3\\nc 1\\n' | sort -k 2 -n"),
        "c 1\nb 2\na 3\n"
    );
    assert_eq!(
        out("printf 'b:2\\na:3\\nc:1\\n' | sort -t: -k2,2r"),
        "a:3\nb:2\nc:1\n"
    );
    assert_eq!(out("printf 'a\\nb\\na\\n' | sort -u"), "a\nb\n");
    assert_eq!(out("printf 'a\\na\\nb\\nc\\nc\\n' | uniq -d"), "a\nc\n");
    let (st, _, e) = run("sort -z");
    assert_eq!(
        (st, e.as_str()),
        (
            2,
            "sort: invalid option -- 'z'\nTry 'sort --help' for more information.\n"
        )
    );
}

#[test]
fn grep_and_regex() {
    let input = "printf 'web-0 Running\\nweb-1 Pending\\ndb-0 Running\\n' | ";
    assert_eq!(
        out(&format!("{input}grep Running")),
        "web-0 Running\ndb-0 Running\n"
    );
    assert_eq!(out(&format!("{input}grep -v Running")), "web-1 Pending\n");
    assert_eq!(out(&format!("{input}grep -c web")), "2\n");
    assert_eq!(out(&format!("{input}grep -n '^db'")), "3:db-0 Running\n");
    assert_eq!(
        out(&format!("{input}grep -E 'web-(0|1) R'")),
        "web-0 Running\n"
    );
    assert_eq!(
        out(&format!("{input}grep 'web-[0-9] P.*g$'")),
        "web-1 Pending\n"
    );
    assert_eq!(
        out(&format!("{input}grep -o 'web-[0-9]'")),
        "web-0\nweb-1\n"
    );
    assert_eq!(out(&format!("{input}grep -i running | wc -l")), "2\n");
    assert_eq!(
        out(&format!("{input}grep -w web")),
        "web-0 Running\nweb-1 Pending\n"
    );
    assert_eq!(out("echo webx | grep -w web; echo $?"), "1\n");
    assert_eq!(
        out("echo 'a.b' | grep -F .; echo aXb | grep -F . ; echo $?"),
        "a.b\n1\n"
    );
    assert_eq!(
        out("echo abcabc | grep -E '(abc)+$' | grep -q c && echo yes"),
        "yes\n"
    );
    assert_eq!(out("echo 'aaa' | grep 'a\\{3\\}'"), "aaa\n");
    assert_eq!(out("echo 'x' | grep -x -e x -e y"), "x\n");
    let (st, _, e) = run("echo a | grep '['");
    assert_eq!(
        (st, e.as_str()),
        (2, "grep: Unmatched [, [^, [:, [., or [=\n")
    );
    let mut h = Fake::default();
    h.files.insert("f".into(), "one\ntwo\n".into());
    assert_eq!(run_with("grep o f nofile", &mut h).1, "f:one\nf:two\n");
    assert_eq!(
        run_with("grep o f nofile", &mut h).2,
        "grep: nofile: No such file or directory\n"
    );
    assert_eq!(run_with("grep o f nofile", &mut h).0, 2);
}

#[test]
fn head_tail_wc_cut_tr() {
    let five = "seq 5 | ";
    assert_eq!(out(&format!("{five}head -n 2")), "1\n2\n");
    assert_eq!(out(&format!("{five}head -2")), "1\n2\n");
    assert_eq!(out(&format!("{five}tail -n 2")), "4\n5\n");
    assert_eq!(out(&format!("{five}tail -1")), "5\n");
    assert_eq!(out(&format!("{five}tail -n +4")), "4\n5\n");
    assert_eq!(out(&format!("{five}wc -l")), "5\n");
    assert_eq!(out("echo 'a b' | wc"), "      1       2       4\n");
    assert_eq!(out("echo 'a:b:c' | cut -d: -f2"), "b\n");
    assert_eq!(out("echo 'a:b:c' | cut -d: -f1,3"), "a:c\n");
    assert_eq!(out("echo 'abcdef' | cut -c2-4"), "bcd\n");
    assert_eq!(out("echo hello | tr a-z A-Z"), "HELLO\n");
    assert_eq!(out("echo hello | tr -d l"), "heo\n");
    assert_eq!(out("echo 'a   b' | tr -s ' '"), "a b\n");
    assert_eq!(out("echo 'a b' | tr '[:lower:]' '[:upper:]'"), "A B\n");
    let mut h = Fake::default();
    h.files.insert("f".into(), "x y\nz\n".into());
    assert_eq!(run_with("wc -l f", &mut h).1, "2 f\n");
    assert_eq!(run_with("wc f", &mut h).1, "2 3 6 f\n");
}

#[test]
fn sed_and_awk() {
    assert_eq!(out("echo 'web-0 web-1' | sed 's/web/db/'"), "db-0 web-1\n");
    assert_eq!(out("echo 'web-0 web-1' | sed 's/web/db/g'"), "db-0 db-1\n");
    assert_eq!(
        out("echo 'a=1' | sed -E 's/(a)=([0-9])/\\2=\\1 [&]/'"),
        "1=a [a=1]\n"
    );
    assert_eq!(out("seq 4 | sed -n '2p'"), "2\n");
    assert_eq!(out("seq 4 | sed '2,3d'"), "1\n4\n");
    assert_eq!(out("seq 3 | sed -n '/2/,$p'"), "2\n3\n");
    assert_eq!(out("echo a/b | sed 's|/|_|'"), "a_b\n");
    assert_eq!(out("printf 'x\\ny' | sed 's/y/z/'"), "x\nz");
    assert_eq!(out("echo 'a b c' | awk '{print $2}'"), "b\n");
    assert_eq!(out("echo 'a:b:c' | awk -F: '{print $NF, NF}'"), "c 3\n");
    assert_eq!(
        out("printf '1 x\\n2 y\\n3 z\\n' | awk '$1 > 1 {print $2}'"),
        "y\nz\n"
    );
    assert_eq!(
        out("printf '1\\n2\\n3\\n' | awk '{s += $1} END {print s, NR}'"),
        "6 3\n"
    );
    assert_eq!(
        out("echo 'web-0 1/1' | awk '/web/ {printf \"%s!\\n\", $1}'"),
        "web-0!\n"
    );
    assert_eq!(out("awk 'BEGIN { x = 2; print x * 3 \"a\" }'"), "6a\n");
}

#[test]
fn misc_utilities() {
    let mut h = Fake::default();
    let (st, o, _) = run_with("sleep 2; sleep 0.5", &mut h);
    assert_eq!((st, o.as_str()), (0, ""));
    assert!((h.slept - 2.5).abs() < 1e-9);
    assert_eq!(
        run("sleep abc").2,
        "sleep: invalid time interval 'abc'\nTry 'sleep --help' for more information.\n"
    );
    assert_eq!(
        out("basename /a/b/c.txt .txt; dirname /a/b/c.txt; dirname c"),
        "c\n/a/b\n.\n"
    );
    assert_eq!(out("echo a b c | xargs -n 1 echo x"), "x a\nx b\nx c\n");
    assert_eq!(
        out("printf 'a\\nb\\n' | xargs -I{} echo '<{}>'"),
        "<a>\n<b>\n"
    );
    assert_eq!(out("echo hi | tee f1 | cat; cat f1"), "hi\nhi\n");
    assert_eq!(out("expr 2 + 3; expr 6 / 2"), "5\n3\n");
    assert_eq!(
        out("test -z '' && [ -n x ] && [ a != b ] && [ ! 1 -eq 2 ] && echo ok"),
        "ok\n"
    );
    assert_eq!(
        run("[ 1 -lt abc ]").2,
        "sh: [: abc: integer expression expected\n"
    );
    assert_eq!(run("[ 1 = 1").2, "[: missing ]\n");
    let mut h = Fake::default();
    h.files.insert("/etc/f".into(), "x".into());
    h.dirs.push("/etc".into());
    assert_eq!(
        run_with(
            "[ -f /etc/f ] && [ -d /etc ] && [ ! -e /nope ] && echo yes",
            &mut h
        )
        .1,
        "yes\n"
    );
    assert_eq!(
        run_with("cat /nope", &mut h).2,
        "cat: /nope: No such file or directory\n"
    );
    assert_eq!(out("echo abc | rev"), "cba\n");
}

#[test]
fn functions_and_eval() {
    assert_eq!(out("greet() { echo \"hi $1\"; }\ngreet bob"), "hi bob\n");
    assert_eq!(out("cmd='echo a; echo b'; eval \"$cmd\""), "a\nb\n");
    let (st, _, e) = run("f() { f; }; f");
    assert_eq!(st, 2);
    assert!(e.contains("recursion too deep"), "{e}");
}

#[test]
fn runaway_loops_are_bounded() {
    let mut sh = Shell::new();
    sh.max_commands = 1000;
    let mut io = Io::new();
    let st = sh.run(
        "while true; do :; done; echo unreachable",
        &mut Fake::default(),
        &mut io,
    );
    assert_eq!(st, 130);
    assert_eq!(io.stderr(), "sh: command limit exceeded\n");
    assert_eq!(io.stdout(), "");
    assert_eq!(sh.exited(), None);
    // The shell is usable again afterwards.
    let mut io = Io::new();
    sh.run("echo again", &mut Fake::default(), &mut io);
    assert_eq!(io.stdout(), "again\n");
}

#[test]
fn output_chunks_keep_order() {
    let mut sh = Shell::new();
    let mut io = Io::new();
    sh.run("echo a; fail; echo b", &mut Fake::default(), &mut io);
    assert_eq!(
        io.chunks,
        vec![
            (crate::Stream::Stdout, "a\n".to_string()),
            (crate::Stream::Stderr, "boom\n".to_string()),
            (crate::Stream::Stdout, "b\n".to_string()),
        ]
    );
}

/// A tiny deterministic generator for the fuzz test (no external crates in this package).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn never_panics_on_random_input() {
    let alphabet: Vec<&str> = vec![
        "a",
        "b",
        "1",
        " ",
        "\n",
        "'",
        "\"",
        "\\",
        "$",
        "(",
        ")",
        "{",
        "}",
        "`",
        "|",
        "&",
        ";",
        "<",
        ">",
        "<<",
        "EOF",
        "#",
        "*",
        "?",
        "[",
        "]",
        "=",
        "-",
        "!",
        ":",
        "%",
        "/",
        "+",
        "$((",
        "$(",
        "${",
        "if ",
        "then ",
        "fi ",
        "for x in ",
        "do ",
        "done ",
        "while ",
        "case ",
        "esac ",
        "echo ",
        "seq ",
        "grep ",
        "sed ",
        "awk ",
        "sort ",
        "printf ",
        "sh -c ",
        "cut ",
        "tr ",
        "test ",
        "[ ",
        " ]",
        "2>&1",
        ">/dev/null",
        "x=",
        "f() ",
        "eval ",
        "wc ",
        "head ",
        "tail ",
        "uniq ",
        "xargs ",
        "read ",
        "exit ",
        "break ",
        "continue ",
        "return ",
        "expr ",
        "é",
        "\t",
    ];
    let mut rng = Lcg(42);
    for _ in 0..3000 {
        let len = (rng.next() % 30) as usize;
        let mut s = String::new();
        for _ in 0..len {
            s.push_str(alphabet[(rng.next() as usize) % alphabet.len()]);
        }
        let mut sh = Shell::new();
        sh.max_commands = 2000;
        let mut io = Io::new();
        let _ = sh.run(&s, &mut Fake::default(), &mut io);
        let _ = Shell::is_complete(&s);
        let _ = Shell::split_commands(&s);
    }
    // Raw bytes too.
    for _ in 0..2000 {
        let len = (rng.next() % 40) as usize;
        let s: String = (0..len)
            .map(|_| char::from_u32((rng.next() % 128) as u32).unwrap_or('a'))
            .collect();
        let mut sh = Shell::new();
        sh.max_commands = 2000;
        let _ = sh.run(&s, &mut Fake::default(), &mut Io::new());
        let _ = Shell::is_complete(&s);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "(".repeat(500);
    let (st, _, _) = run(&deep);
    assert_eq!(st, 2);
    let deep_subst = format!("echo {}x{}", "$(echo ".repeat(200), ")".repeat(200));
    let _ = run(&deep_subst);
    let arith = format!("echo $(({}1{}))", "(".repeat(300), ")".repeat(300));
    let _ = run(&arith);
    let re = format!("echo a | grep -E '{}a{}'", "(".repeat(300), ")".repeat(300));
    let _ = run(&re);
    let _ = run("echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | grep -E '(a*)*b'");
}

#[test]
fn readarray_and_array_expansion() {
    // peer-finder's on-start script (seed 000): one peer is the master, more proxy to the first.
    let script = "printf 'a.x\\nb.x\\n' | { readarray PEERS; echo ${#PEERS[@]} \"${PEERS[0]}\" ${PEERS[1]}; }";
    assert_eq!(out(script), "2 a.x\n b.x\n");
    assert_eq!(
        out("printf 'a\\nb' | { readarray -t P; echo \"${P[@]}|$P|${#P[1]}\"; }"),
        "a b|a|1\n"
    );
    assert_eq!(out("echo \"${#NONE[@]}\""), "0\n");
    let (code, _, err) = run("echo ${A[x]}");
    assert_ne!(code, 0);
    assert!(err.contains("bad substitution"), "{err}");
}

#[test]
fn command_substitution_reads_the_commands_stdin() {
    // seed 000's on-start script reads the peers inside backticks, from the group's pipe.
    let script = "printf 'a.x\\nb.x\\n' | { echo `readarray P; echo ${#P[@]} ${P[1]}`; }";
    assert_eq!(out(script), "2 b.x\n");
    // What the substitution reads is gone for the command; without a pipe it reads nothing.
    assert_eq!(
        out("printf '1\\n2\\n' | { echo $(read a; echo $a); cat; }"),
        "1\n2\n"
    );
    assert_eq!(out("echo \"[$(cat)]\""), "[]\n");
}

#[test]
fn the_host_sees_the_line_of_each_command() {
    let mut sh = Shell::new();
    sh.env.dash = true;
    let mut io = Io::new();
    sh.run(
        "true\nnope1\nfor i in 1; do\n  nope2\ndone; x=$(nope3)",
        &mut Fake::default(),
        &mut io,
    );
    assert_eq!(
        io.stderr(),
        "sh: 2: nope1: not found\nsh: 4: nope2: not found\nsh: 5: nope3: not found\n"
    );
    // An interactive shell counts every line it has read.
    let mut io = Io::new();
    sh.run("nope4", &mut Fake::default(), &mut io);
    assert_eq!(io.stderr(), "sh: 6: nope4: not found\n");
    // Redirection errors in dash's words, and busybox ash's.
    let mut io = Io::new();
    sh.run("echo x > /nodir/f", &mut Fake::default(), &mut io);
    assert_eq!(
        io.stderr(),
        "sh: 7: cannot create /nodir/f: Directory nonexistent\n"
    );
    let (_, _, err) = run("echo x > /nodir/f");
    assert_eq!(err, "sh: can't create /nodir/f: nonexistent directory\n");
    let (_, _, err) = run("cat < /nofile");
    assert_eq!(err, "sh: can't open /nofile: no such file\n");
    let mut io = Io::new();
    sh.run("cat < /nofile", &mut Fake::default(), &mut io);
    assert_eq!(io.stderr(), "sh: 8: cannot open /nofile: No such file\n");
}

#[test]
fn grep_prints_context_lines_and_group_separators() {
    assert_eq!(
        out("printf 'a\\nb\\nc\\nd\\ne\\nf\\ng\\n' | grep -A1 -e b -e f"),
        "b\nc\n--\nf\ng\n"
    );
    assert_eq!(
        out("printf 'a\\nb\\nc\\nd\\n' | grep -n -C1 c"),
        "2-b\n3:c\n4-d\n"
    );
    assert_eq!(
        out("printf 'a\\nb\\nc\\n' | grep -B5 --after-context=0 c"),
        "a\nb\nc\n"
    );
    let (code, o, e) = run("echo a | grep -A x a");
    assert_eq!(
        (code, o.as_str(), e.as_str()),
        (2, "", "grep: x: invalid context length argument\n")
    );
}
