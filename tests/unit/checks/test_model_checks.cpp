// The promotion test suite's pure logic (core/ml/checks/ModelChecks): golden CSV validation with
// per-row errors, the declared checks' JSON, and each check's verdict on scores given by hand.
#include "core/ml/checks/ModelChecks.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::checks;

namespace {

FeatureSchema schema()
{
    FeatureSchema s;
    s.features.push_back({QStringLiteral("distance_km"), FeatureSpec::Kind::Numeric, {}});
    s.features.push_back({QStringLiteral("weekday"), FeatureSpec::Kind::Numeric, {}});
    s.features.push_back({QStringLiteral("zone"), FeatureSpec::Kind::Categorical, {QStringLiteral("a")}});
    return s;
}

Result<GoldenSet> parse(const QByteArray &csv, const QString &segment = {})
{
    return parseGolden(csv, QStringLiteral("g.csv"), schema(), QStringLiteral("outcome"), segment, false, {});
}

// Rows with outcome 0 in two segments; a model's scores are given per row.
GoldenSet golden(const QStringList &segments)
{
    GoldenSet g;
    for (const QString &s : segments) {
        g.rows.push_back(FeatureRow{{1.0f, 2.0f}, {QStringLiteral("a")}});
        g.target.push_back(0.0);
        g.segments << s;
    }
    g.segmentColumn = QStringLiteral("zone");
    return g;
}

Scores values(const std::vector<double> &v)
{
    Scores s;
    s.value = v;
    return s;
}

const CheckResult *find(const QList<CheckResult> &results, const QString &scope)
{
    for (const CheckResult &r : results)
        if (r.scope == scope)
            return &r;
    return nullptr;
}

} // namespace

class TestModelChecks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void goldenIsReadWithSegmentsAndChecksum()
    {
        const QByteArray csv = "distance_km,weekday,zone,outcome,extra\n1.5,2,a,3.25,x\n2,3,b,-1,y\n";
        const auto g = parse(csv, QStringLiteral("zone"));
        QVERIFY2(g.ok(), qPrintable(g.errorMessage()));
        QCOMPARE(g->rowCount(), 2);
        QCOMPARE(g->target, (std::vector<double>{3.25, -1.0}));
        QCOMPARE(g->rows[1].numeric, (std::vector<float>{2.0f, 3.0f}));
        QCOMPARE(g->rows[1].categorical, QStringList{QStringLiteral("b")});
        QCOMPARE(g->segments, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
        QCOMPARE(g->sha256, QCryptographicHash::hash(csv, QCryptographicHash::Sha256).toHex());
    }

    void goldenNamesEveryFaultyRow()
    {
        const auto g = parse("distance_km,weekday,zone,outcome\n1,2,a,3\nx,2,a,3\n1,2,a,\n1,2,a,4\n1,nan,a,1\n");
        QVERIFY(!g.ok());
        const QString e = g.errorMessage();
        QVERIFY2(e.contains(QStringLiteral("3 row")), qPrintable(e));
        QVERIFY2(e.contains(QStringLiteral("line 3, column 1 (distance_km)")), qPrintable(e));
        QVERIFY2(e.contains(QStringLiteral("line 4, column 4 (outcome)")), qPrintable(e));
        QVERIFY2(e.contains(QStringLiteral("line 6, column 2 (weekday)")), qPrintable(e));
    }

    void goldenRefusals()
    {
        QVERIFY(parse("distance_km,zone,outcome\n1,a,2\n").errorMessage().contains(QStringLiteral("weekday")));
        QVERIFY(parse("distance_km,weekday,zone,outcome\n").errorMessage().contains(QStringLiteral("no rows")));
        QVERIFY(parse("distance_km,weekday,zone,outcome\n1,2,a,3\n", QStringLiteral("region"))
                    .errorMessage()
                    .contains(QStringLiteral("region")));
        QVERIFY(parse(QByteArray(kMaxGoldenBytes + 1, 'x')).errorMessage().contains(QStringLiteral("MB")));
        ClassSpec spec;
        spec.classes = {QStringLiteral("no"), QStringLiteral("yes")};
        const auto c = parseGolden("distance_km,weekday,zone,label\n1,2,a,yes\n1,2,a,maybe\n1,2,a,2\n",
                                   QStringLiteral("c.csv"), schema(), QStringLiteral("label"), {}, true, spec);
        QVERIFY(!c.ok());
        QVERIFY2(c.errorMessage().contains(QStringLiteral("\"maybe\" is not one of the classes")) &&
                     c.errorMessage().contains(QStringLiteral("line 4")),
                 qPrintable(c.errorMessage()));
        // A class by name or by its index in the deployment's order.
        const auto ok = parseGolden("distance_km,weekday,zone,label\n1,2,a,yes\n1,2,a,0\n", QStringLiteral("c.csv"),
                                    schema(), QStringLiteral("label"), {}, true, spec);
        QVERIFY2(ok.ok(), qPrintable(ok.errorMessage()));
        QCOMPARE(ok->target, (std::vector<double>{1, 0}));
    }

    void settingsDefaultsAndRoundTrip()
    {
        const auto d = ModelCheckSettings::fromJson({});
        QVERIFY(d.ok());
        QVERIFY(d->nonRegression);
        QVERIFY(!d->stability);
        QCOMPARE(d->margin, 0.05);
        const QJsonObject json = QJsonDocument::fromJson(R"({
            "non_regression": {"margin": 0.1, "min_segment_rows": 5},
            "stability": {"enabled": true, "max_change": 2, "max_share": 0.2},
            "invariance": [{"feature": "weekday", "values": [0, 6], "max_change": 0.5},
                           {"feature": "distance_km", "delta": 1, "max_change": 3},
                           {"feature": "zone", "values": ["a", "b"], "max_change": 1}],
            "input": {"max_unknown_share": 0.1}})")
                                     .object();
        const auto s = ModelCheckSettings::fromJson(json, schema());
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        QCOMPARE(s->margin, 0.1);
        QCOMPARE(s->minSegmentRows, 5);
        QVERIFY(s->stability);
        QCOMPARE(s->invariance.size(), 3);
        QCOMPARE(s->invariance[1].delta.value_or(0), 1.0);
        QCOMPARE(s->maxUnknownShare.value_or(-1), 0.1);
        const auto again = ModelCheckSettings::fromJson(s->toJson(), schema());
        QVERIFY(again.ok());
        QCOMPARE(again->toJson(), s->toJson());
    }

    void settingsRefusalsNameTheKey()
    {
        const auto refuse = [](const char *json) {
            return ModelCheckSettings::fromJson(QJsonDocument::fromJson(json).object(), schema()).errorMessage();
        };
        QVERIFY(refuse(R"({"nonregression": {}})").contains(QStringLiteral("\"nonregression\"")));
        QVERIFY(refuse(R"({"non_regression": {"margin": 2}})").contains(QStringLiteral("non_regression.margin")));
        QVERIFY(refuse(R"({"stability": {"max_share": "x"}})").contains(QStringLiteral("stability.max_share")));
        QVERIFY(refuse(R"({"invariance": [{"feature": "weekday", "max_change": 1}]})")
                    .contains(QStringLiteral("either \"values\" or \"delta\"")));
        QVERIFY(refuse(R"({"invariance": [{"feature": "zone", "delta": 1, "max_change": 1}]})")
                    .contains(QStringLiteral("categorical")));
        QVERIFY(refuse(R"({"invariance": [{"feature": "colour", "values": [1], "max_change": 1}]})")
                    .contains(QStringLiteral("no feature \"colour\"")));
        QVERIFY(refuse(R"({"invariance": [{"feature": "weekday", "values": ["mon"], "max_change": 1}]})")
                    .contains(QStringLiteral("numbers")));
        QVERIFY(refuse(R"({"invariance": [{"feature": "weekday", "values": [1]}]})")
                    .contains(QStringLiteral("invariance[0].max_change")));
    }

    void nonRegressionOverallAndPerSegment()
    {
        ModelCheckSettings s;
        s.margin = 0.10;
        s.minSegmentRows = 2;
        // Segment "a": 3 rows, "b": 3 rows, "c": 1 row. Outcomes are 0, so a score is its absolute error.
        const GoldenSet g = golden({QStringLiteral("a"), QStringLiteral("a"), QStringLiteral("a"), QStringLiteral("b"),
                                    QStringLiteral("b"), QStringLiteral("b"), QStringLiteral("c")});
        const Scores champion = values({1, 1, 1, 1, 1, 1, 1});
        // Better on a (0.5), worse on b (1.5): overall 1.0 + 1/7 ≈ 0.93 + ... within the margin.
        const Scores candidate = values({0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1});
        const auto results = nonRegression(s, g, candidate, &champion);
        QCOMPARE(results.size(), 4);
        QCOMPARE(find(results, QStringLiteral("overall"))->outcome, Outcome::Pass);
        QCOMPARE(find(results, QStringLiteral("a"))->outcome, Outcome::Pass);
        const CheckResult *b = find(results, QStringLiteral("b"));
        QCOMPARE(b->outcome, Outcome::Fail);
        QCOMPARE(b->figures.value(QStringLiteral("candidate")).toDouble(), 1.5);
        QCOMPARE(b->figures.value(QStringLiteral("champion")).toDouble(), 1.0);
        QVERIFY2(b->detail.contains(QStringLiteral("1.5000")) && b->detail.contains(QStringLiteral("1.1000")),
                 qPrintable(b->detail));
        // A segment smaller than min_segment_rows is "no data", never a pass or a failure.
        QCOMPARE(find(results, QStringLiteral("c"))->outcome, Outcome::NoData);
        // Exactly at the margin passes.
        const Scores atLimit = values({1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1});
        for (const CheckResult &r : nonRegression(s, g, atLimit, &champion))
            QVERIFY(r.outcome != Outcome::Fail);
        // Without a champion nothing can be compared: no data.
        for (const CheckResult &r : nonRegression(s, g, candidate, nullptr))
            QCOMPARE(r.outcome, Outcome::NoData);
        s.nonRegression = false;
        QVERIFY(nonRegression(s, g, candidate, &champion).isEmpty());
    }

    void nonRegressionOnAccuracyUsesPoints()
    {
        ModelCheckSettings s;
        s.margin = 0.10;
        GoldenSet g = golden({QStringLiteral("a"), QStringLiteral("a"), QStringLiteral("a"), QStringLiteral("a"),
                              QStringLiteral("a"), QStringLiteral("a"), QStringLiteral("a"), QStringLiteral("a"),
                              QStringLiteral("a"), QStringLiteral("a")});
        g.segments.clear();
        Scores champion, candidate;
        champion.classes = candidate.classes = 2;
        champion.decided = std::vector<int>(10, 0); // all right: accuracy 100 %
        candidate.decided = champion.decided;
        candidate.decided[0] = 1; // 90 %: exactly 10 points less, allowed
        QCOMPARE(nonRegression(s, g, candidate, &champion).first().outcome, Outcome::Pass);
        candidate.decided[1] = 1; // 80 %
        QCOMPARE(nonRegression(s, g, candidate, &champion).first().outcome, Outcome::Fail);
    }

    void stabilityCountsMovesAndFlips()
    {
        ModelCheckSettings s;
        s.maxChange = 1.0;
        s.maxShare = 0.25;
        const Scores champion = values({0, 0, 0, 0});
        QCOMPARE(stability(s, values({0.5, 2, 0, 0}), &champion).outcome, Outcome::Pass); // 1 of 4 = 25 %
        const CheckResult failed = stability(s, values({2, 2, 0, 0}), &champion);
        QCOMPARE(failed.outcome, Outcome::Fail);
        QCOMPARE(failed.figures.value(QStringLiteral("moved")).toInt(), 2);
        QCOMPARE(failed.figures.value(QStringLiteral("largest_change")).toDouble(), 2.0);
        QCOMPARE(stability(s, values({2, 2, 0, 0}), nullptr).outcome, Outcome::NoData);

        Scores a, b;
        a.classes = b.classes = 2;
        a.probabilities = {0.4, 0.6, 0.9, 0.1};
        b.probabilities = {0.6, 0.4, 0.8, 0.2};
        a.decided = {1, 0};
        b.decided = {0, 0};
        s.maxShare = 0.4;
        const CheckResult flips = stability(s, b, &a);
        QCOMPARE(flips.figures.value(QStringLiteral("moved")).toInt(), 1);
        QCOMPARE(flips.outcome, Outcome::Fail); // 50 % > 40 %
    }

    void invarianceFailsOnAnyRowBeyondTheLimit()
    {
        InvarianceCheck c;
        c.feature = QStringLiteral("weekday");
        c.values = {0, 6};
        c.maxChange = 0.5;
        const Scores base = values({1, 2, 3});
        const CheckResult ok = invariance(c, base, {values({1.2, 2, 3}), values({1, 2.5, 3})});
        QCOMPARE(ok.outcome, Outcome::Pass);
        QCOMPARE(ok.figures.value(QStringLiteral("largest_change")).toDouble(), 0.5);
        const CheckResult bad = invariance(c, base, {values({1, 2, 3}), values({1, 2, 4})});
        QCOMPARE(bad.outcome, Outcome::Fail);
        QCOMPARE(bad.figures.value(QStringLiteral("moved")).toInt(), 1);
        QVERIFY2(bad.detail.contains(QStringLiteral("weekday = 6")), qPrintable(bad.detail));
        QCOMPARE(bad.title(), QStringLiteral("invariance of weekday"));
    }

    void inputValidationCountsUnknownCategories()
    {
        ModelCheckSettings s;
        const QMap<QString, qint64> unknown{{QStringLiteral("zone"), 3}};
        const CheckResult counted = inputValidation(s, 10, unknown, {});
        QCOMPARE(counted.outcome, Outcome::Pass);
        QCOMPARE(counted.figures.value(QStringLiteral("unknown_categories")).toInt(), 3);
        QVERIFY2(counted.detail.contains(QStringLiteral("zone: 3")), qPrintable(counted.detail));
        s.maxUnknownShare = 0.2;
        QCOMPARE(inputValidation(s, 10, unknown, {}).outcome, Outcome::Fail);
        const CheckResult refused = inputValidation(s, 10, {}, QStringLiteral("row 4: wrong feature count"));
        QCOMPARE(refused.outcome, Outcome::Fail);
        QVERIFY(refused.detail.contains(QStringLiteral("row 4")));
    }

    void invarianceCountsEachRowOnce()
    {
        InvarianceCheck c;
        c.feature = QStringLiteral("weekday");
        c.values = {0, 5, 6};
        c.maxChange = 0.5;
        // Row 0 moves under all three values, row 2 under one: two rows, four (row, value) cases.
        const CheckResult r =
            invariance(c, values({1, 2, 3}), {values({2, 2, 3}), values({3, 2, 3}), values({4, 2, 9})});
        QCOMPARE(r.outcome, Outcome::Fail);
        QCOMPARE(r.figures.value(QStringLiteral("moved")).toInt(), 2);
        QCOMPARE(r.figures.value(QStringLiteral("moved_cases")).toInt(), 4);
        QVERIFY2(r.detail.contains(QStringLiteral("moves 2 prediction")), qPrintable(r.detail));
    }

    void unknownCategoriesAreNotCountedWhenTheModelListsNone()
    {
        GoldenSet g = golden({QStringLiteral("x"), QStringLiteral("x")});
        g.rows[1].categorical = {QStringLiteral("b")};
        QStringList unlisted;
        const auto counted = unknownCategories(schema(), g, schema(), unlisted);
        QCOMPARE(counted.value(QStringLiteral("zone")), 1); // "b" is not among the listed ["a"]
        QVERIFY(unlisted.isEmpty());
        FeatureSchema noMetadata; // a model without metadata lists no categories at all
        const auto none = unknownCategories(noMetadata, g, schema(), unlisted);
        QVERIFY(none.isEmpty());
        QCOMPARE(unlisted, QStringList{QStringLiteral("zone")});
        ModelCheckSettings s;
        s.maxUnknownShare = 0.0;
        const CheckResult r = inputValidation(s, 2, none, {}, unlisted);
        QCOMPARE(r.outcome, Outcome::Pass);
        QCOMPARE(r.figures.value(QStringLiteral("unknown_categories")).toInt(), 0);
        QVERIFY2(r.detail.contains(QStringLiteral("not counted for zone")), qPrintable(r.detail));
    }

    void aChampionNotComparedIsNeverShownAsPassed()
    {
        CheckReport r;
        r.configured = true;
        r.results << CheckResult{QStringLiteral("input"), {}, Outcome::Pass, QStringLiteral("ok"), {}};
        QVERIFY(r.comparedAll());
        r.championUnavailable = QStringLiteral("eta@1 cannot be loaded: no such file");
        r.results << CheckResult{QStringLiteral("non_regression"),
                                 QStringLiteral("overall"),
                                 Outcome::NoData,
                                 QStringLiteral("not compared"),
                                 {}};
        QVERIFY(r.passed()); // not blocking: a champion that cannot be read must not block its replacement
        QVERIFY(!r.comparedAll());
        QVERIFY2(r.summary().startsWith(QStringLiteral("not compared with the champion (eta@1 cannot be loaded")),
                 qPrintable(r.summary()));
        const CheckReport back = CheckReport::fromJson(r.toJson());
        QCOMPARE(back.championUnavailable, r.championUnavailable);
        QVERIFY(!back.comparedAll());
    }

    void perturbChangesOneFeatureOnly()
    {
        const std::vector<FeatureRow> rows{{{1, 2}, {QStringLiteral("a")}}, {{3, 4}, {QStringLiteral("b")}}};
        const auto set = perturb(rows, schema(), QStringLiteral("weekday"), QVariant(6), std::nullopt);
        QVERIFY(set.ok());
        QCOMPARE((*set)[1].numeric, (std::vector<float>{3, 6}));
        const auto shifted = perturb(rows, schema(), QStringLiteral("distance_km"), std::nullopt, 0.5);
        QCOMPARE((*shifted)[0].numeric, (std::vector<float>{1.5, 2}));
        const auto zone = perturb(rows, schema(), QStringLiteral("zone"), QVariant(QStringLiteral("c")), std::nullopt);
        QCOMPARE((*zone)[0].categorical, QStringList{QStringLiteral("c")});
        QCOMPARE((*zone)[0].numeric, rows[0].numeric);
        QVERIFY(!perturb(rows, schema(), QStringLiteral("zone"), std::nullopt, 1.0).ok());
        QVERIFY(!perturb(rows, schema(), QStringLiteral("colour"), QVariant(1), std::nullopt).ok());
    }

    void reportVerdictAndJson()
    {
        CheckReport unconfigured;
        QVERIFY(!unconfigured.passed()); // no golden data is never a pass
        QVERIFY(unconfigured.summary().contains(QStringLiteral("no promotion checks configured")));

        CheckReport r;
        r.configured = true;
        r.candidate = QStringLiteral("2");
        r.results << CheckResult{QStringLiteral("input"), {}, Outcome::Pass, QStringLiteral("ok"), {}};
        r.results << CheckResult{
            QStringLiteral("non_regression"), QStringLiteral("c"), Outcome::NoData, QStringLiteral("few"), {}};
        QVERIFY(r.passed());
        QCOMPARE(r.summary(), QStringLiteral("passed 1 of 2 checks (1 without data)"));
        r.results << CheckResult{QStringLiteral("non_regression"),
                                 QStringLiteral("airport"),
                                 Outcome::Fail,
                                 QStringLiteral("worse"),
                                 {{QStringLiteral("candidate"), 2.0}}};
        QVERIFY(!r.passed());
        QCOMPARE(r.failureSummary(), QStringLiteral("non-regression (segment airport): worse"));
        const CheckReport back = CheckReport::fromJson(r.toJson());
        QCOMPARE(back.toJson(), r.toJson());
        QVERIFY(!back.passed());
        QCOMPARE(r.toJson().value(QStringLiteral("passed")).toBool(), false);
    }
};

QTEST_GUILESS_MAIN(TestModelChecks)
#include "test_model_checks.moc"
