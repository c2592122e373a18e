#!/usr/bin/env python3
"""Tests of tools/dev/long_functions.py: what it counts as a function, and what it must not be
fooled by (braces in comments, literals and preprocessor lines; initializer and class braces).
"""

import contextlib
import io
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import long_functions  # noqa: E402


def body(lines, text="x++;"):
    return "\n".join("  " + text for _ in range(lines))


def scan(source, limit=5):
    """(line, name, lines) of each function in source longer than limit."""
    with tempfile.NamedTemporaryFile("w", suffix=".cc", delete=False) as f:
        f.write(textwrap.dedent(source))
    try:
        return long_functions.scan_file(f.name, limit)
    finally:
        os.unlink(f.name)


class Counting(unittest.TestCase):
    def test_counts_from_the_name_line_to_the_closing_brace(self):
        src = "int F(int a,\n      int b) {\n%s\n}\n" % body(3)
        self.assertEqual(scan(src, limit=6), [])  # 1 + 1 + 3 + 1 = 6 lines
        self.assertEqual(scan(src, limit=5), [(1, "F", 6)])

    def test_at_the_limit_is_not_reported(self):
        src = "void F() {\n%s\n}\n" % body(3)  # 5 lines
        self.assertEqual(scan(src, limit=5), [])
        self.assertEqual(scan(src, limit=4), [(1, "F", 5)])

    def test_lambdas_inside_a_function_count_for_it(self):
        src = "void F() {\n  auto g = [&](int x) {\n%s\n  };\n}\n" % body(4)
        self.assertEqual(scan(src), [(1, "F", 8)])


class Names(unittest.TestCase):
    def test_qualified_methods_constructors_and_operators(self):
        src = """\
        namespace a::b {
        Foo::Foo(int x) : x_{x}, y_(Make({1, 2})) {
        %s
        }
        Foo& Foo::operator=(const Foo& o) {
        %s
        }
        bool Foo::operator()(int x) const noexcept {
        %s
        }
        Foo::~Foo() {
        %s
        }
        template <typename T>
        auto Foo::Get(T t) -> std::pair<int, decltype(t)> {
        %s
        }
        }  // namespace a::b
        """ % ((body(5),) * 5)
        self.assertEqual([n for _, n, _ in scan(src)],
                         ["Foo::Foo", "Foo::operator=", "Foo::operator()", "Foo::~Foo",
                          "Foo::Get"])

    def test_inline_methods_are_named_with_their_class(self):
        src = """\
        class Outer final : public Base<int> {
         public:
          struct Inner {
            void Run() {
        %s
            }
          };
          int Size() const override {
        %s
          }
        };
        """ % (body(5), body(5))
        self.assertEqual([n for _, n, _ in scan(src)], ["Outer::Inner::Run", "Outer::Size"])

    def test_default_arguments_with_braces(self):
        src = "void F(Options o = {}, std::vector<int> v = {1, 2}) {\n%s\n}\n" % body(5)
        self.assertEqual(scan(src), [(1, "F", 7)])

    def test_namespace_scope_lambda(self):
        src = "const auto kCheck = [](int x) -> bool {\n%s\n};\n" % body(5)
        self.assertEqual(scan(src), [(1, "<lambda kCheck>", 7)])

    def test_lambda_in_a_namespace_scope_table(self):
        src = "const std::map<int, Fn> kTable = {\n  {1, [](int x) {\n%s\n  }},\n};\n" % body(5)
        self.assertEqual(scan(src), [(2, "<lambda kTable>", 7)])

    def test_extern_c(self):
        src = 'extern "C" {\nint LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {\n%s\n}\n}\n'
        self.assertEqual(scan(src % body(5)), [(2, "LLVMFuzzerTestOneInput", 7)])


class NotFunctions(unittest.TestCase):
    def test_tables_enums_and_classes_are_not_functions(self):
        src = """\
        enum class Kind {
        %s
        };
        const std::vector<Row> kRows = {
        %s
        };
        struct Plain {
        %s
        };
        Row kRow{
        %s
        };
        """ % (body(9, "kA,"), body(9, "{1, 2},"), body(9, "int a;"), body(9, "1,"))
        self.assertEqual(scan(src), [])


class Lexing(unittest.TestCase):
    """Braces and quotes that are not code must not move a function's end."""

    def check(self, inner):
        src = "void F() {\n%s\n%s\n}\nvoid G() {\n%s\n}\n" % (inner, body(5), body(5))
        found = scan(src)
        self.assertEqual([(n, k) for _, n, k in found],
                         [("F", 8 + inner.count("\n")), ("G", 7)])

    def test_comments(self):
        self.check('  // } "\n  /* } \' { */ x++;')

    def test_strings_and_escapes(self):
        self.check('  s = "}\\" }";')

    def test_raw_strings(self):
        self.check('  s = R"sql(SELECT "}" ) }")sql";\n  t = u8R"(})";')

    def test_char_literals_and_digit_separators(self):
        self.check("  c = '}'; d = '\\''; n = 1'000'000; h = 0xFF'FF; e = L'{';")

    def test_preprocessor_lines(self):
        self.check("#define OPEN {\\\n  }\n#if 0 // {\n#endif")


class Files(unittest.TestCase):
    def test_skips_tests_folders_and_generated_code_and_exits_1_on_findings(self):
        long_fn = "void F() {\n%s\n}\n" % body(100)
        with tempfile.TemporaryDirectory() as root:
            for rel, text in [
                ("services/a/tests/a_test.cc", long_fn),
                ("services/a/src/a.pb.cc", long_fn),
                ("services/a/src/gen.h", "// Generated by the tool. DO NOT EDIT!\n" + long_fn),
                ("services/a/src/short.cc", "void S() {}\n"),
                ("tools/t/long.cpp", long_fn),
            ]:
                os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
                with open(os.path.join(root, rel), "w") as f:
                    f.write(text)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = long_functions.main(["--root", root])
            self.assertEqual(out.getvalue(), "tools/t/long.cpp:1 F 102\n")
            self.assertEqual(status, 1)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                self.assertEqual(long_functions.main(["--root", root, "services"]), 0)

    def test_allowed_functions_do_not_fail_and_stale_entries_are_only_noted(self):
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "bench"))
            with open(os.path.join(root, "bench", "b.cc"), "w") as f:
                f.write("void F() {\n%s\n}\n" % body(100))
            allow = os.path.join(root, "allow")
            with open(allow, "w") as f:
                f.write("# reasons\nbench/b.cc F  # being rewritten\nbench/b.cc Gone  # split\n")
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = long_functions.main(["--root", root, "--allow", allow])
            self.assertEqual((status, out.getvalue()), (0, ""))
            self.assertIn("allowed: bench/b.cc:1 F 102", err.getvalue())
            self.assertIn("bench/b.cc Gone is allowed", err.getvalue())


if __name__ == "__main__":
    unittest.main()
