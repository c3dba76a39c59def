// Fuzzing of every parser of outside input: CSV files, the model metadata of a model file, and the
// configuration (endpoints, connection profiles in the settings file, drift settings, alert rules,
// KPI targets, retrain settings, training parameters, spooled audit rows, plan steps). Meant to run
// under -DMLDECK_SANITIZE=ON, where a memory error is a crash. Each input must end, with either an
// accepted result that passes the checks below or a readable error.
#include "tests/support/Fuzzer.h"

#include "core/config/Endpoints.h"
#include "core/config/Settings.h"
#include "core/domain/AlertRule.h"
#include "core/domain/Kpi.h"
#include "core/domain/RetrainRun.h"
#include "core/io/CsvReader.h"
#include "core/ml/Dataset.h"
#include "core/ml/ModelMetadata.h"
#include "core/ml/Trainer.h"
#include "core/ml/image/ImagePipeline.h"
#include "core/rollout/AuditRecord.h"
#include "core/rollout/StagedPlan.h"
#include "core/stats/drift/DriftConfig.h"
#include "core/stats/drift/DriftReport.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;
using namespace mldeck::fuzz;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

std::vector<QByteArray> csvSeeds()
{
    std::vector<QByteArray> seeds;
    const QDir dir(QStringLiteral(MLDECK_SOURCE_DIR "/tests/unit/io/csv"));
    for (const QString &name : dir.entryList({QStringLiteral("*.csv")}, QDir::Files, QDir::Name))
        seeds.push_back(readFile(dir.filePath(name)));
    // The first rows of the evaluation fixture, as demo-data writes them.
    const QByteArray eta = readFile(QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/fixtures/eta_fixture.csv"));
    seeds.push_back(eta.left(eta.indexOf('\n', 1500) + 1));
    return seeds;
}

// Writes fields as RFC 4180 with every field quoted.
QByteArray quoteAll(const QList<QList<QByteArray>> &records)
{
    QByteArray out;
    for (const auto &record : records) {
        for (qsizetype i = 0; i < record.size(); ++i) {
            QByteArray field = record[i];
            out += (i ? ",\"" : "\"") + field.replace('"', "\"\"") + '"';
        }
        out += "\r\n";
    }
    return out;
}

struct CsvParse
{
    Status status;
    QList<QList<QByteArray>> records; // the header first
    QString failure;
};

CsvParse parseCsv(const QByteArray &bytes)
{
    CsvParse p;
    qint64 lastLine = 1;
    const qint64 lines = bytes.count('\n') + bytes.count('\r') + 1;
    CsvHandlers handlers;
    handlers.header = [&](const QStringList &header) -> Status {
        QList<QByteArray> names;
        for (const QString &n : header)
            names << n.toUtf8();
        p.records << names;
        return {};
    };
    handlers.record = [&](const CsvRecord &record) -> Status {
        if (qsizetype(record.fields.size()) != p.records.first().size())
            p.failure = QStringLiteral("a record of %1 fields was handed on under a header of %2")
                            .arg(record.fields.size())
                            .arg(p.records.first().size());
        if (record.line <= lastLine || record.line > lines)
            p.failure = QStringLiteral("record line %1 after line %2 (the input has %3 lines)")
                            .arg(record.line)
                            .arg(lastLine)
                            .arg(lines);
        lastLine = record.line;
        QList<QByteArray> fields;
        for (QByteArrayView f : record.fields)
            fields << f.toByteArray();
        p.records << fields;
        return {};
    };
    p.status = CsvReader::parse(bytes, QStringLiteral("fuzz.csv"), handlers);
    return p;
}

// A JSON document's object; inputs that are not one are refused the way the callers refuse them.
std::optional<QJsonObject> jsonObject(const QByteArray &input)
{
    const QJsonDocument doc = QJsonDocument::fromJson(input);
    return doc.isObject() ? std::optional<QJsonObject>(doc.object()) : std::nullopt;
}

// A parser of T from JSON whose result reads back the same through toJson().
template <typename T, typename Parse> Verdict jsonRoundTrip(const QByteArray &input, Parse parse)
{
    const auto object = jsonObject(input);
    if (!object)
        return {};
    const Result<T> first = parse(*object);
    if (!first)
        return refused(first.errorMessage(), input);
    const QJsonObject written = first->toJson();
    const Result<T> second = parse(written);
    if (!second)
        return {true, QStringLiteral("its own output is refused: ") + second.errorMessage()};
    if (second->toJson() != written)
        return {true, QStringLiteral("reading its own output changes it")};
    return {true, {}};
}

// Parsers that return a value and fill an error string (defaults come back on error).
template <typename T> Result<T> viaErrorString(const QJsonObject &o)
{
    QString error;
    T value = T::fromJson(o, &error);
    if (!error.isEmpty())
        return Error{error};
    return value;
}

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

class TestFuzzParsers final : public QObject
{
    Q_OBJECT

    Budget m_budget = Budget::fromEnvironment();
    QTemporaryDir m_dir;

    void expect(const char *target, std::vector<QByteArray> seeds, const Check &check)
    {
        Fuzzer fuzzer(QString::fromLatin1(target), std::move(seeds), m_budget);
        const Report r = fuzzer.run(check);
        qInfo("%s: %d inputs, %d accepted", target, r.inputs, r.accepted);
        QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
        QVERIFY(r.inputs > 0);
    }

    QString writeTemp(const QByteArray &bytes)
    {
        const QString path = m_dir.filePath(QStringLiteral("input"));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
            return {};
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qInfo("budget per target: %d inputs or %g s; an input over %g s is a hang; seed %llu", m_budget.inputs,
              m_budget.seconds, m_budget.inputSeconds, static_cast<unsigned long long>(m_budget.seed));
    }

    // The reader alone: accepted input reads back the same once written with every field quoted.
    void csvReader()
    {
        expect("csv", csvSeeds(), [](const QByteArray &input) -> Verdict {
            const CsvParse first = parseCsv(input);
            if (!first.failure.isEmpty())
                return {false, first.failure};
            if (!first.status)
                return first.status.errorMessage().startsWith(QLatin1String("fuzz.csv"))
                           ? refused(first.status.errorMessage(), input)
                           : Verdict{false, QStringLiteral("an error that does not name the file: ") +
                                                first.status.errorMessage()};
            const CsvParse second = parseCsv(quoteAll(first.records));
            if (!second.status)
                return {true, QStringLiteral("its records, quoted, are refused: ") + second.status.errorMessage()};
            if (second.records != first.records)
                return {true, QStringLiteral("its records, quoted, read back different")};
            return {true, {}};
        });
    }

    // The readers of files: evaluation (columns of the seeds' header), drift compare, the header alone.
    void csvCallers()
    {
        DatasetColumns columns;
        columns.numeric = QStringList{QStringLiteral("distance_km")};
        columns.categorical = QStringList{QStringLiteral("zone")};
        Budget fewer = m_budget;
        fewer.inputs = std::max(1, m_budget.inputs / 4); // each input is a file
        Fuzzer fuzzer(QStringLiteral("csv-files"), csvSeeds(), fewer);
        const Report r = fuzzer.run([&](const QByteArray &input) -> Verdict {
            const QString path = writeTemp(input);
            if (path.isEmpty())
                return {false, QStringLiteral("cannot write the input file")};
            const auto eval = readCsvDataset(path, columns);
            if (eval) {
                if (eval->numeric[QStringLiteral("distance_km")].size() != size_t(eval->rowCount()) ||
                    eval->categorical[QStringLiteral("zone")].codes.size() != size_t(eval->rowCount()) ||
                    (!eval->tsMicros.empty() && eval->tsMicros.size() != size_t(eval->rowCount())))
                    return {true, QStringLiteral("evaluation columns of different lengths")};
            } else if (const Verdict v = refused(eval.errorMessage(), input); !v.failure.isEmpty()) {
                return v;
            }
            const auto drift = drift::readCsvDataset(path, {});
            if (drift) {
                for (const auto &c : drift->columns)
                    if (c.size() != drift->columns.front().size())
                        return {true, QStringLiteral("drift columns of different lengths")};
            } else if (const Verdict v = refused(drift.errorMessage(), input); !v.failure.isEmpty()) {
                return v;
            }
            const auto header = readCsvHeader(path);
            if (!header)
                return refused(header.errorMessage(), input);
            return {eval.ok() || drift.ok(), {}};
        });
        qInfo("csv-files: %d inputs, %d accepted", r.inputs, r.accepted);
        QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
    }

    // mldeck.json of a model file: what is accepted is consistent (one scaler per numeric feature,
    // an input width that counts every one-hot level; an image model: a valid image spec, C·H·W wide,
    // a classifier without features).
    void modelMetadata()
    {
        const QByteArray seed = readFile(QStringLiteral(MLDECK_SOURCE_DIR "/tests/fuzz/seeds/mldeck.json"));
        const QByteArray image = readFile(QStringLiteral(MLDECK_SOURCE_DIR "/tests/fuzz/seeds/mldeck_image.json"));
        QVERIFY(!seed.isEmpty() && !image.isEmpty());
        expect("model-metadata", {seed, image}, [](const QByteArray &input) -> Verdict {
            ModelInfo info;
            const Status s = parseModelMetadata(input, info);
            if (!s)
                return refused(s.errorMessage(), input);
            if (info.image) {
                if (!info.image->validate() || info.inputWidth != info.image->inputWidth() ||
                    !info.schema.features.empty() || info.task != QLatin1String("classification") ||
                    info.sequenceLength != 1)
                    return {true, QStringLiteral("accepted an inconsistent image model")};
                return {true, {}};
            }
            int numeric = 0;
            int width = 0;
            for (const FeatureSpec &f : info.schema.features) {
                numeric += f.kind == FeatureSpec::Kind::Numeric ? 1 : 0;
                width += f.kind == FeatureSpec::Kind::Numeric ? 1 : int(f.categories.size());
            }
            if (info.schema.features.empty() || size_t(numeric) != info.scalerMean.size() ||
                info.scalerMean.size() != info.scalerStd.size() || width != info.inputWidth)
                return {true, QStringLiteral("accepted metadata whose scalers or width do not match its features")};
            for (double sd : info.scalerStd)
                if (!(sd > 0) || !std::isfinite(sd))
                    return {true, QStringLiteral("accepted a scaler std of %1").arg(sd)};
            if (info.sequenceLength < 1 || info.name.isEmpty() || info.trainingRows < 0)
                return {true, QStringLiteral("accepted a sequence length of %1, a name \"%2\", %3 training rows")
                                  .arg(info.sequenceLength)
                                  .arg(info.name)
                                  .arg(info.trainingRows)};
            return {true, {}};
        });
    }

    // Encoded images (an image store holds whatever a backend wrote): decoded and prepared, or refused
    // clearly; what is accepted has the model's input size, finite values and statistics in [0, 1].
    void imageDecoding()
    {
        std::vector<QByteArray> seeds;
        QImage image(23, 17, QImage::Format_ARGB32);
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                image.setPixel(x, y, qRgba(x * 11, y * 15, (x * y) % 256, 128 + x));
        for (const char *format : {"PNG", "JPEG", "BMP"}) {
            QByteArray bytes;
            QBuffer buffer(&bytes);
            buffer.open(QIODevice::WriteOnly);
            QVERIFY(image.save(&buffer, format));
            seeds.push_back(bytes);
        }
        ImageSpec spec;
        spec.width = 8;
        spec.height = 6;
        spec.channels = 3;
        spec.resize = ImageSpec::Resize::Crop;
        spec.mean = {0.5, 0.5, 0.5};
        spec.std = {0.25, 0.25, 0.25};
        Budget fewer = m_budget;
        fewer.inputs = std::max(1, m_budget.inputs / 4); // each input runs a decoder
        Fuzzer fuzzer(QStringLiteral("image"), std::move(seeds), fewer);
        const Report r = fuzzer.run([&](const QByteArray &input) -> Verdict {
            const auto prepared = prepareImage(input, spec);
            if (!prepared)
                return refused(prepared.errorMessage(), input);
            if (prepared->chw.size() != size_t(spec.inputWidth()))
                return {true,
                        QStringLiteral("prepared %1 values, not %2").arg(prepared->chw.size()).arg(spec.inputWidth())};
            for (float v : prepared->chw)
                if (!std::isfinite(v) || v < -2.0f - 1e-5f || v > 2.0f + 1e-5f)
                    return {true, QStringLiteral("a prepared value %1 outside [-2, 2]").arg(v)};
            const ImageStats &st = prepared->stats;
            if (st.width < 1 || st.height < 1 || !(st.brightness >= 0 && st.brightness <= 1) ||
                !(st.contrast >= 0 && st.contrast <= 0.5 + 1e-9))
                return {true, QStringLiteral("statistics out of range")};
            return {true, {}};
        });
        qInfo("image: %d inputs, %d accepted", r.inputs, r.accepted);
        QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
        QVERIFY(r.inputs > 0);
    }

    // Redis and PostgreSQL URLs: an accepted URL's endpoint writes a URL that reads back the same.
    void endpoints()
    {
        expect("redis-url",
               {"redis://127.0.0.1:6379/0", "redis://:s%40cret@cache.example.org:6380/2", "redis://user:pw@[::1]:7000"},
               [](const QByteArray &input) -> Verdict {
                   const auto e = RedisEndpoint::fromUrl(QString::fromUtf8(input));
                   if (!e)
                       return refused(e.errorMessage(), input);
                   const auto again = RedisEndpoint::fromUrl(e->toUrl(true));
                   if (!again)
                       return {true,
                               QStringLiteral("its own URL %1 is refused: %2").arg(e->toUrl(), again.errorMessage())};
                   if (again->host != e->host || again->port != e->port || again->user != e->user ||
                       again->password != e->password || again->db != e->db)
                       return {true, QStringLiteral("its own URL %1 reads back different").arg(e->toUrl())};
                   return {true, {}};
               });
        expect("postgres-url",
               {"postgresql://mldeck@127.0.0.1:5432/mldeck",
                "postgresql://ops:p%2Fw@db.example.org:5433/metrics?sslmode=require",
                "postgres://u@h/d?sslmode=disable"},
               [](const QByteArray &input) -> Verdict {
                   const auto e = PgEndpoint::fromUrl(QString::fromUtf8(input));
                   if (!e)
                       return refused(e.errorMessage(), input);
                   const auto again = PgEndpoint::fromUrl(e->toUrl(true));
                   if (!again)
                       return {true,
                               QStringLiteral("its own URL %1 is refused: %2").arg(e->toUrl(), again.errorMessage())};
                   if (again->host != e->host || again->port != e->port || again->user != e->user ||
                       again->password != e->password || again->database != e->database || again->sslMode != e->sslMode)
                       return {true, QStringLiteral("its own URL %1 reads back different").arg(e->toUrl())};
                   if (e->toConnInfo().isEmpty())
                       return {true, QStringLiteral("an empty connection string")};
                   return {true, {}};
               });
    }

    // The settings file (an INI file a person may edit): the profiles it yields are valid.
    void settingsFile()
    {
        const QString seedPath = m_dir.filePath(QStringLiteral("seed.ini"));
        {
            Settings seed(seedPath);
            ConnectionProfile p;
            p.name = QStringLiteral("staging");
            p.redis = *RedisEndpoint::fromUrl(QStringLiteral("redis://cache:6380/1"));
            p.pg = *PgEndpoint::fromUrl(QStringLiteral("postgresql://ops@db:5433/mldeck?sslmode=require"));
            QVERIFY(seed.saveProfile(p).ok());
            seed.setValue(Settings::Key::RefreshIntervalMs, 5000);
            seed.setValue(Settings::Key::Language, QStringLiteral("fr"));
            QVERIFY(seed.sync().ok());
        }
        // Invalid saved profiles are skipped with a warning each: thousands of them here.
        QLoggingCategory::setFilterRules(QStringLiteral("mldeck.config.warning=false"));
        const auto restore = qScopeGuard([] { QLoggingCategory::setFilterRules({}); });
        Budget fewer = m_budget;
        fewer.inputs = std::max(1, m_budget.inputs / 4); // each input is a file
        Fuzzer fuzzer(QStringLiteral("settings-ini"), {readFile(seedPath)}, fewer);
        const Report r = fuzzer.run([&](const QByteArray &input) -> Verdict {
            const QString path = m_dir.filePath(QStringLiteral("fuzz.ini"));
            QFile f(path);
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(input) != input.size())
                return {false, QStringLiteral("cannot write the input file")};
            f.close();
            Settings settings(path);
            for (const ConnectionProfile &p : settings.profiles())
                if (const Status s = p.validate(); !s)
                    return {true, QStringLiteral("profile \"%1\" is invalid: %2").arg(p.name, s.errorMessage())};
            for (auto key : {Settings::Key::Language, Settings::Key::ActiveProfile, Settings::Key::RefreshIntervalMs,
                             Settings::Key::LastPage})
                if (const Status s = Settings::check(key, settings.value(key)); !s)
                    return {true, QStringLiteral("setting %1 read as an invalid value: %2")
                                      .arg(Settings::keyName(key), s.errorMessage())};
            return {!settings.profiles().isEmpty(), {}};
        });
        qInfo("settings-ini: %d inputs, %d accepted", r.inputs, r.accepted);
        QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
    }

    // The JSON settings stored per deployment and per run.
    void jsonSettings()
    {
        drift::DriftConfig drift;
        drift.ignore = QStringList{QStringLiteral("hour")};
        const QByteArray contractDrift =
            R"({"window": "10m", "interval": "1m", "k": 3, "reference": "first:1h", "min_samples": 100,
                "dataset_share": 0.5, "ignore": ["hour", "weekday"], "tests": {"rain_mm": "psi"},
                "thresholds": {"rain_mm": 0.2}})";
        expect("drift-config", {json(drift.toJson()), contractDrift}, [](const QByteArray &input) {
            return jsonRoundTrip<drift::DriftConfig>(
                input, [](const QJsonObject &o) { return drift::DriftConfig::fromJson(o); });
        });
        std::vector<QByteArray> rules;
        for (const AlertRule &r : AlertRule::defaults())
            rules.push_back(json(r.toJson()));
        expect("alert-rule", rules, [](const QByteArray &input) {
            return jsonRoundTrip<AlertRule>(input, [](const QJsonObject &o) { return AlertRule::fromJson(o); });
        });
        expect("kpi-targets", {json(KpiTargets{}.toJson())},
               [](const QByteArray &input) { return jsonRoundTrip<KpiTargets>(input, viaErrorString<KpiTargets>); });
        expect("retrain-settings", {json(RetrainSettings{}.toJson())}, [](const QByteArray &input) {
            return jsonRoundTrip<RetrainSettings>(input, viaErrorString<RetrainSettings>);
        });
        expect("training-params", {json(TrainingParams{}.toJson())}, [](const QByteArray &input) {
            return jsonRoundTrip<TrainingParams>(input,
                                                 [](const QJsonObject &o) { return TrainingParams::fromJson(o); });
        });
        // The audit spool is a file of JSON rows written before a crash: a torn row is refused.
        AuditRecord audit = AuditRecord::make(QStringLiteral("flags.rollback"), QStringLiteral("eta"), Actor::current(),
                                              QStringLiteral("p95 too high"));
        audit.changeId = QUuid(QStringLiteral("{6f1c2a9e-0d3b-4c57-9a8e-2b7d5e4f1a03}")); // the same seed every run
        audit.occurredAt = QDateTime::fromString(QStringLiteral("2024-05-01T08:00:00.250Z"), Qt::ISODateWithMs);
        audit.before = QJsonObject{{QStringLiteral("enabled"), true}};
        expect("audit-row", {json(audit.toJson())}, [](const QByteArray &input) -> Verdict {
            const auto o = jsonObject(input);
            const auto first = o ? AuditRecord::fromJson(*o) : std::nullopt;
            if (!first)
                return {};
            const auto second = AuditRecord::fromJson(first->toJson());
            if (!second || second->toJson() != first->toJson())
                return {true, QStringLiteral("reading its own row changes it")};
            return {true, {}};
        });
    }

    // Short texts typed in settings and on the command line.
    void settingTexts()
    {
        expect("drift-reference",
               {"first_rows:5000", "auto", "model", "period:2024-05-01T00:00:00Z/2024-05-02T00:00:00Z",
                "snapshot:baseline", "first:1h", "previous:30m"},
               [](const QByteArray &input) -> Verdict {
                   const auto r = drift::ReferenceSpec::parse(QString::fromUtf8(input));
                   if (!r)
                       return refused(r.errorMessage(), input);
                   const auto again = drift::ReferenceSpec::parse(r->toString());
                   if (!again || again->toString() != r->toString())
                       return {true, QStringLiteral("its own text \"%1\" reads back different").arg(r->toString())};
                   return {true, {}};
               });
        expect("durations", {"90s", "10m", "1h", "2d"}, [](const QByteArray &input) -> Verdict {
            const auto s = drift::parseSeconds(QString::fromUtf8(input));
            if (!s)
                return refused(s.errorMessage(), input);
            constexpr qint64 hundredYears = 100LL * 365 * 86400; // the longest a setting may name
            return {true,
                    *s > 0 && *s <= hundredYears ? QString() : QStringLiteral("accepted a duration of %1 s").arg(*s)};
        });
        expect("plan-steps", {"10,25,50,100", "5, 100", "100"}, [](const QByteArray &input) -> Verdict {
            const auto steps = plan::parseSteps(QString::fromUtf8(input));
            if (!steps)
                return refused(steps.errorMessage(), input);
            for (qsizetype i = 0; i < steps->size(); ++i)
                if (steps->at(i) < 1 || steps->at(i) > 100 || (i && steps->at(i) <= steps->at(i - 1)))
                    return {true, QStringLiteral("accepted steps out of order or range")};
            return {true, {}};
        });
    }
};

QTEST_GUILESS_MAIN(TestFuzzParsers)
#include "test_fuzz_parsers.moc"
