// The report writer against the one schema definition (results/schema.json), and
// the aggregate's statistics against hand-computed values.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "harness/aggregate.h"
#include "harness/atomic_file.h"
#include "harness/report.h"
#include "harness/results_schema.h"

namespace rehashlab {
namespace {

Json load_schema() {
  std::ifstream in("results/schema.json");
  EXPECT_TRUE(in.good()) << "results/schema.json is a data dependency of this test";
  return Json::parse(in);
}

std::set<std::string> keys_of(const Json& o) {
  std::set<std::string> k;
  for (const auto& [name, unused] : o.items()) k.insert(name);
  return k;
}

// A run of 10 ops in two windows, one resize, with a noise floor.
struct Fixture {
  RunConfig cfg;
  RunContext ctx;
  LoopResult r{4};
  MapOutcome m;
  Fixture(bool open) {
    cfg.map = "full_rehash";
    cfg.workload.n = 10;
    cfg.open_loop = open;
    cfg.rate = open ? 1000 : 0;
    cfg.window = 5;
    cfg.alloc = AllocMode::kSystem;
    cfg.rep = 1;
    cfg.reps = 3;
    for (std::uint64_t i = 0; i < 10; ++i) {
      r.service.record(100 + i);
      r.top_service.record(i, 100 + i);
      if (open) {
        r.response.record(200 + i);
        r.top_response.record(i, 200 + i);
      }
      r.noise.record(20);
      r.by_kind[0].steady.record(100 + i);
    }
    for (std::uint64_t w = 0; w < 2; ++w) {
      TimelineRow row{};
      row.first_op = w * 5;
      row.ops = 5;
      row.max_ns = 104 + 5 * w;
      row.entries = 5 * (w + 1);
      row.sample.live_bytes = 100 * (w + 1);
      row.sample.peak_bytes = 150 * (w + 1);
      row.sample.steal_ms = w == 0 ? 0.0 : 10.0;
      r.timeline.push_back(row);
    }
    r.max_quiet_ns = 104;
    r.quiet_windows = 1;
    r.noise_every = 1;
    r.noise_wall_ns = 900;
    r.elapsed_ns = 1000;
    ResizePause p;
    p.start_op = 3;
    p.ended = true;
    p.end_op = 7;
    p.migration_ops = 5;
    r.resizes.push_back(p);
    m.ops = 10;
    m.final_entries = 10;
    m.final_bytes = 200;
    m.peak_bytes = 300;
    m.payload_bytes_per_entry = 16;
    m.new_keys = 10;
    m.checksum = "0x0000000000000001";
    m.ops_per_sec_uninstrumented = open ? std::nullopt : std::optional<double>(12345.0);
  }
};

TEST(Report, WritesExactlyTheSchemasFields) {
  const Json schema = load_schema();
  for (bool open : {false, true}) {
    Fixture f(open);
    const RunReport rep = build_report(f.cfg, f.ctx, f.r, f.m);
    const Json j = report_json(f.cfg, f.ctx, f.r, f.m, rep);
    std::set<std::string> top = keys_of(schema["run_top"]);
    if (open) top.merge(keys_of(schema["run_top_open"]));
    EXPECT_EQ(keys_of(j), top) << "open=" << open;
    std::set<std::string> summary = keys_of(schema["summary"]);
    if (open) summary.merge(keys_of(schema["summary_open"]));
    EXPECT_EQ(keys_of(j["summary"]), summary) << "open=" << open;
    EXPECT_EQ(keys_of(j["config"]), keys_of(schema["config"]));
    EXPECT_EQ(keys_of(j["noise_floor"]), keys_of(schema["noise_floor"]));
    EXPECT_EQ(keys_of(j["host"]), keys_of(schema["host"]));
    EXPECT_EQ(keys_of(j["memory"]), keys_of(schema["memory"]));
    EXPECT_EQ(keys_of(j["timer"]), keys_of(schema["timer"]));
    EXPECT_EQ(keys_of(j["provenance"]), keys_of(schema["provenance"]));
    ASSERT_EQ(j["resizes"].size(), 1u);
    EXPECT_EQ(keys_of(j["resizes"][0]), keys_of(schema["resize"]));
    ASSERT_FALSE(j["top_k"].empty());
    EXPECT_EQ(keys_of(j["top_k"][0]), keys_of(schema["top_k_entry"]));
    EXPECT_EQ(j["schema"], std::string(schema::kRunSchema));
    EXPECT_EQ(keys_of(j["by_op"]), std::set<std::string>{"insert"}) << "only kinds that occurred";
    EXPECT_EQ(keys_of(j["by_op"]["insert"]["steady"]), keys_of(schema["by_op_entry"]));
    EXPECT_TRUE(j["by_op"]["insert"]["migrating"].is_null());
  }
}

TEST(Report, DerivedValuesComeFromTheLoop) {
  Fixture f(false);
  const RunReport rep = build_report(f.cfg, f.ctx, f.r, f.m);
  const Json j = report_json(f.cfg, f.ctx, f.r, f.m, rep);
  EXPECT_EQ(j["run_id"], "insert_growth.u64.v8.closed.full_rehash.n10.system.rep1");
  EXPECT_EQ(j["summary"]["alloc"], "system");
  EXPECT_EQ(j["summary"]["max_ns"], 109);
  EXPECT_EQ(j["summary"]["max_ns_quiet"], 104);
  EXPECT_EQ(j["summary"]["windows"], 2);
  EXPECT_EQ(j["host"]["windows_with_steal"], 1);
  EXPECT_EQ(j["summary"]["ops_per_sec_uninstrumented"], 12345.0);
  EXPECT_DOUBLE_EQ(j["noise_floor"]["coverage"].get<double>(), 0.9);
  // The resize spans both windows: their steal (0 + 10) and largest peak (300).
  EXPECT_EQ(j["resizes"][0]["steal_ms"], 10.0);
  EXPECT_EQ(j["resizes"][0]["peak_bytes"], 300);
  // The slowest op (#9) sits in window 1, which had steal.
  EXPECT_EQ(j["top_k"][0]["op"], 9);
  EXPECT_EQ(j["top_k"][0]["window"], 1);
  EXPECT_EQ(j["top_k"][0]["steal_ms"], 10.0);
}

TEST(Report, NoNoiseFloorIsNull) {
  Fixture f(false);
  f.cfg.noise_ops = 0;
  const RunReport rep = build_report(f.cfg, f.ctx, f.r, f.m);
  EXPECT_TRUE(report_json(f.cfg, f.ctx, f.r, f.m, rep)["noise_floor"].is_null());
}

TEST(Report, TimelineHeaderIsTheSchemas) {
  const Json schema = load_schema();
  Fixture f(false);
  const std::string csv = timeline_csv(f.r, false);
  std::string header;
  for (const auto& c : schema["timeline_columns"]) header += (header.empty() ? "" : ",") + c.get<std::string>();
  EXPECT_EQ(csv.substr(0, csv.find('\n')), header);
  // Row 1: steal 10, empty response cells in closed loop.
  EXPECT_NE(csv.find("\n1,5,5,"), std::string::npos);
  EXPECT_NE(csv.find(",10,,\n"), std::string::npos);
}

TEST(Aggregate, MedianAndOrderStatisticInterval) {
  EXPECT_EQ(median_of({3, 1, 2}), 2);
  EXPECT_EQ(median_of({4, 1, 3, 2}), 2.5);
  EXPECT_FALSE(median_interval({1, 2, 3, 4}).has_value()) << "no interval below 5 values";
  // n = 5: no order-statistic interval reaches 95%; [min, max] covers 1 - 2/32.
  const auto five = median_interval({5, 1, 4, 2, 3});
  ASSERT_TRUE(five.has_value());
  EXPECT_EQ(five->lo, 1);
  EXPECT_EQ(five->hi, 5);
  EXPECT_DOUBLE_EQ(five->coverage, 1 - 2.0 / 32);
  // n = 9: [x_(2), x_(8)] covers 1 - 2*(1+9)/512 = 0.9609; [x_(3), x_(7)] only 0.820.
  const auto nine = median_interval({9, 8, 7, 6, 5, 4, 3, 2, 1});
  ASSERT_TRUE(nine.has_value());
  EXPECT_EQ(nine->lo, 2);
  EXPECT_EQ(nine->hi, 8);
  EXPECT_NEAR(nine->coverage, 1 - 2.0 * 10 / 512, 1e-12);
}

TEST(Aggregate, GroupsRepetitionsInRepetitionOrder) {
  const std::string dir = ::testing::TempDir() + "/agg";
  make_directories(dir);
  std::vector<std::string> files;
  for (unsigned rep : {2u, 0u, 1u}) {  // written out of order
    Fixture f(false);
    f.cfg.rep = rep;
    f.m.peak_bytes = 1000 + rep;
    const RunReport report = build_report(f.cfg, f.ctx, f.r, f.m);
    const std::string name = report.run_id + ".json";
    write_file_atomically(dir + "/" + name, to_file_text(report_json(f.cfg, f.ctx, f.r, f.m, report)));
    files.push_back(name);
  }
  const Json a = build_aggregate(dir, files, 3);
  ASSERT_EQ(a["groups"].size(), 1u);
  const Json& g = a["groups"]["insert_growth.u64.v8.closed.full_rehash.n10.system"];
  EXPECT_EQ(g["reps"], 3);
  const Json& peak = g["fields"]["summary.peak_bytes"];
  EXPECT_EQ(peak["median"], 1001.0);
  EXPECT_EQ(peak["min"], 1000.0);
  EXPECT_EQ(peak["max"], 1002.0);
  EXPECT_EQ(peak["values"], Json::array({1000.0, 1001.0, 1002.0}));
  EXPECT_TRUE(peak["ci_lo"].is_null());
  EXPECT_TRUE(g["fields"].contains("noise_floor.max_ns"));
  EXPECT_TRUE(g["fields"].contains("memory.rss_peak_bytes"));
  EXPECT_FALSE(g["fields"].contains("summary.checksum")) << "strings are not aggregated";
}

}  // namespace
}  // namespace rehashlab
