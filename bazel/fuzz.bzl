"""smtp_fuzzer: a libFuzzer target plus a cc_test that replays its corpus.

smtp_fuzzer(name = "reply_parser_fuzzer", srcs = [...], deps = [...]) makes
  :reply_parser_fuzzer              cc_binary for `bazel build --config=fuzz`
                                    (tagged manual: g++ cannot link it)
  :reply_parser_fuzzer_corpus_test  cc_test running every file of
                                    reply_parser_fuzzer_corpus/ through
                                    LLVMFuzzerTestOneInput with replay_main.cc,
                                    so plain g++ and the ASan/UBSan runs in CI
                                    exercise the committed corpus.
"""

load("//bazel:copts.bzl", "SMTP_TEST_COPTS")

def smtp_fuzzer(name, srcs, deps = []):
    corpus = name + "_corpus"
    native.cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        copts = SMTP_TEST_COPTS,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual", "fuzzer"],
        deps = deps,
    )
    native.cc_test(
        name = name + "_corpus_test",
        srcs = srcs + ["//tests/fuzz:replay_main.cc"],
        copts = SMTP_TEST_COPTS,
        args = [native.package_name() + "/" + corpus],
        data = native.glob([corpus + "/**"]),
        deps = deps,
    )
