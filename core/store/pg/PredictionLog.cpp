#include "core/store/pg/PredictionLog.h"
#include "core/Text.h"
#include "core/domain/ClassSpec.h"
#include "core/ml/image/ImageStore.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/PgText.h"

#include <QCoreApplication>

#include <algorithm>
#include <array>
#include <tuple>

namespace mldeck {

namespace {

// COPY/INSERT column order of mldeck.predictions, shared by both write paths. A batch with no
// classification row sends the twelve columns of contract v1 (classification.md): a regression
// backend's COPY is what it was before step 12, and works against a database before it. Likewise
// only a batch with an image key sends image_key (step 22).
const std::vector<std::string> kPredictionColumns{"ts",      "predicted",  "latency_ms",  "feature_schema", "failed",
                                                  "path",    "deployment", "request_key", "model_version",  "error",
                                                  "numeric", "categorical"};
const std::vector<std::string> kPredictionClassColumns = [] {
    std::vector<std::string> c = kPredictionColumns;
    c.insert(c.end(), {"predicted_class", "probabilities"});
    return c;
}();
const std::vector<std::string> kPredictionImageColumns = [] {
    std::vector<std::string> c = kPredictionClassColumns;
    c.emplace_back("image_key");
    return c;
}();
constexpr size_t kPredictionFieldsV1 = 12;
constexpr size_t kPredictionFieldsClass = 14;
constexpr size_t kPredictionFields = 15;

bool hasClass(const PredictionRow &r)
{
    return r.predictedClass || !r.probabilities.empty();
}
bool hasImage(const PredictionRow &r)
{
    return !r.imageKey.isEmpty();
}
const std::vector<std::string> kOutcomeColumns{"observed_at", "actual", "deployment", "request_key"};
const std::vector<std::string> kFeedbackColumns{"ts",          "positive", "deployment",
                                                "request_key", "comment",  "user_pseudonym"};
const std::vector<std::string> kFeedbackImageColumns = [] {
    std::vector<std::string> c = kFeedbackColumns;
    c.emplace_back("image_key");
    return c;
}();

// One row as text fields; `null` marks SQL NULL. Reused across rows to avoid reallocations.
template <size_t N> struct TextRow
{
    // null first: with text first, GCC 12 -O3 reports a false -Warray-bounds (the 15-field row's
    // text array "outside" the 7-field row) once the rows' setters are inlined.
    std::array<bool, N> null{};
    std::array<std::string, N> text;

    void set(size_t i, std::string v)
    {
        text[i] = std::move(v);
        null[i] = false;
    }
    void setNullable(size_t i, const QString &v)
    {
        null[i] = v.isNull() || v.isEmpty();
        if (!null[i])
            text[i] = v.toStdString();
    }
    const char *ptr(size_t i) const { return null[i] ? nullptr : text[i].c_str(); }

    // stream_to in libpqxx 6 takes a std::tuple; const char * gives it NULL (nullptr) for free.
    template <size_t... I> auto tuple(std::index_sequence<I...>) const { return std::make_tuple(ptr(I)...); }
    // The first M fields (a v1 prediction row sends 12 of the 15).
    template <size_t M = N> auto tuple() const { return tuple(std::make_index_sequence<M>{}); }
};

QString validate(const QString &deployment, const QString &requestKey)
{
    if (deployment.isEmpty())
        return StoreText::tr("a row has no deployment");
    if (requestKey.isEmpty())
        return StoreText::tr("a row of deployment \"%1\" has no request key").arg(deployment);
    return {};
}

// What mldeck.predictions would refuse for a whole batch, said for the row (classification.md).
QString validateClass(const PredictionRow &r)
{
    if (r.predictedClass && *r.predictedClass < 0)
        return StoreText::tr("a row of deployment \"%1\" has a negative predicted class").arg(r.deployment);
    if (r.probabilities.size() > size_t(kMaxLoggedProbabilities))
        return StoreText::tr("a row of deployment \"%1\" has %2 probabilities (at most %3 are logged)")
            .arg(r.deployment)
            .arg(r.probabilities.size())
            .arg(kMaxLoggedProbabilities);
    return {};
}

// A key the image store would refuse is refused here, before anything is logged (images.md).
QString validateImageKey(const QString &deployment, const QString &imageKey)
{
    if (imageKey.isEmpty())
        return {};
    if (const Status s = checkImageKey(imageKey); !s)
        return StoreText::tr("a row of deployment \"%1\" has a bad image key: %2").arg(deployment, s.errorMessage());
    return {};
}

void fill(TextRow<kPredictionFields> &t, const PredictionRow &r)
{
    t.set(0, pgtext::timestamp(r.tsMicros));
    if (r.predicted)
        t.set(1, pgtext::float8(*r.predicted));
    else
        t.null[1] = true;
    t.set(2, pgtext::float4(r.latencyMs));
    t.set(3, std::to_string(r.featureSchema));
    t.set(4, r.failed ? "t" : "f");
    t.set(5, pathName(r.path).toStdString());
    t.set(6, r.deployment.toStdString());
    t.set(7, r.requestKey.toStdString());
    t.setNullable(8, r.modelVersion);
    t.setNullable(9, r.error);
    t.set(10, pgtext::realArray(r.features.numeric));
    t.set(11, pgtext::textArray(r.features.categorical));
    if (r.predictedClass)
        t.set(12, std::to_string(*r.predictedClass));
    else
        t.null[12] = true;
    if (!r.probabilities.empty())
        t.set(13, pgtext::realArray(r.probabilities));
    else
        t.null[13] = true;
    t.setNullable(14, r.imageKey);
}

void fillFeedback(TextRow<7> &t, const FeedbackRow &r)
{
    t.set(0, pgtext::timestamp(r.tsMicros));
    t.set(1, r.positive ? "t" : "f");
    t.set(2, r.deployment.toStdString());
    t.set(3, r.requestKey.toStdString());
    t.setNullable(4, r.comment);
    t.setNullable(5, r.userPseudonym);
    t.setNullable(6, r.imageKey);
}

// Streams rows into `table` with one COPY in one transaction.
template <size_t N, size_t Sent, typename Row, typename Fill>
Status copyRows(PgConnection &conn, const char *table, const std::vector<std::string> &columns,
                const std::vector<Row> &rows, Fill fillRow, const QString &doing)
{
    if (rows.empty())
        return {};
    for (const Row &r : rows) {
        if (const QString why = validate(r.deployment, r.requestKey); !why.isEmpty())
            return Error{StoreText::tr("%1: nothing was logged (%2)").arg(doing, why)};
    }
    try {
        pqxx::work tx(pg::raw(conn));
        // libpqxx 6 pastes the table name into COPY as given: schema-qualified and unquoted on purpose.
        pqxx::stream_to copy(tx, table, columns);
        TextRow<N> text;
        for (const Row &r : rows) {
            fillRow(text, r);
            copy << text.template tuple<Sent>();
        }
        copy.complete();
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, conn.endpoint(), doing + StoreText::tr(" (nothing of this batch was logged)"));
    }
}

} // namespace

PredictionLog::PredictionLog(PgConnection &conn) : m_conn(conn) {}

Status PredictionLog::appendPredictions(const std::vector<PredictionRow> &rows)
{
    const QString doing = StoreText::tr("logging %n prediction(s)", nullptr, int(rows.size()));
    for (const PredictionRow &r : rows)
        for (const QString &why : {validateClass(r), validateImageKey(r.deployment, r.imageKey)})
            if (!why.isEmpty())
                return Error{StoreText::tr("%1: nothing was logged (%2)").arg(doing, why)};
    if (std::any_of(rows.begin(), rows.end(), hasImage))
        return copyRows<kPredictionFields, kPredictionFields>(m_conn, "mldeck.predictions", kPredictionImageColumns,
                                                              rows, fill, doing);
    if (std::any_of(rows.begin(), rows.end(), hasClass))
        return copyRows<kPredictionFields, kPredictionFieldsClass>(m_conn, "mldeck.predictions",
                                                                   kPredictionClassColumns, rows, fill, doing);
    return copyRows<kPredictionFields, kPredictionFieldsV1>(m_conn, "mldeck.predictions", kPredictionColumns, rows,
                                                            fill, doing);
}

Status PredictionLog::appendOutcomes(const std::vector<OutcomeRow> &rows)
{
    return copyRows<4, 4>(
        m_conn, "mldeck.outcomes", kOutcomeColumns, rows,
        [](TextRow<4> &t, const OutcomeRow &r) {
            t.set(0, pgtext::timestamp(r.observedMicros));
            t.set(1, pgtext::float8(r.actual));
            t.set(2, r.deployment.toStdString());
            t.set(3, r.requestKey.toStdString());
        },
        StoreText::tr("logging %n outcome(s)", nullptr, int(rows.size())));
}

Status PredictionLog::appendFeedback(const std::vector<FeedbackRow> &rows)
{
    const QString doing = StoreText::tr("logging %n feedback row(s)", nullptr, int(rows.size()));
    for (const FeedbackRow &r : rows)
        if (const QString why = validateImageKey(r.deployment, r.imageKey); !why.isEmpty())
            return Error{StoreText::tr("%1: nothing was logged (%2)").arg(doing, why)};
    if (std::any_of(rows.begin(), rows.end(), [](const FeedbackRow &r) { return !r.imageKey.isEmpty(); }))
        return copyRows<7, 7>(m_conn, "mldeck.feedback", kFeedbackImageColumns, rows, fillFeedback, doing);
    return copyRows<7, 6>(m_conn, "mldeck.feedback", kFeedbackColumns, rows, fillFeedback, doing);
}

Status PredictionLog::insertPredictionSingle(const PredictionRow &row)
{
    const QString doing = StoreText::tr("logging one prediction");
    for (const QString &why :
         {validate(row.deployment, row.requestKey), validateClass(row), validateImageKey(row.deployment, row.imageKey)})
        if (!why.isEmpty())
            return Error{StoreText::tr("%1: nothing was logged (%2)").arg(doing, why)};
    try {
        TextRow<kPredictionFields> t;
        fill(t, row);
        // Autocommit, one statement per row: what a naive backend does (the class columns when given).
        pqxx::nontransaction tx(pg::raw(m_conn));
        if (hasImage(row))
            tx.exec_params("INSERT INTO mldeck.predictions (ts, predicted, latency_ms, feature_schema, failed, path, "
                           "deployment, request_key, model_version, error, numeric, categorical, predicted_class, "
                           "probabilities, image_key) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                           t.ptr(0), t.ptr(1), t.ptr(2), t.ptr(3), t.ptr(4), t.ptr(5), t.ptr(6), t.ptr(7), t.ptr(8),
                           t.ptr(9), t.ptr(10), t.ptr(11), t.ptr(12), t.ptr(13), t.ptr(14));
        else if (hasClass(row))
            tx.exec_params("INSERT INTO mldeck.predictions (ts, predicted, latency_ms, feature_schema, failed, path, "
                           "deployment, request_key, model_version, error, numeric, categorical, predicted_class, "
                           "probabilities) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                           t.ptr(0), t.ptr(1), t.ptr(2), t.ptr(3), t.ptr(4), t.ptr(5), t.ptr(6), t.ptr(7), t.ptr(8),
                           t.ptr(9), t.ptr(10), t.ptr(11), t.ptr(12), t.ptr(13));
        else
            tx.exec_params("INSERT INTO mldeck.predictions (ts, predicted, latency_ms, feature_schema, failed, path, "
                           "deployment, request_key, model_version, error, numeric, categorical) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                           t.ptr(0), t.ptr(1), t.ptr(2), t.ptr(3), t.ptr(4), t.ptr(5), t.ptr(6), t.ptr(7), t.ptr(8),
                           t.ptr(9), t.ptr(10), t.ptr(11));
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), doing);
    }
}

Result<int> PredictionLog::ensurePartitions(QDate from, QDate to)
{
    if (!from.isValid() || !to.isValid() || to < from)
        return Error{StoreText::tr("invalid partition range %1 .. %2")
                         .arg(from.toString(Qt::ISODate), to.toString(Qt::ISODate))};
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::row r =
            tx.exec_params1("SELECT mldeck.ensure_prediction_partitions($1::date, $2::date)",
                            from.toString(Qt::ISODate).toStdString(), to.toString(Qt::ISODate).toStdString());
        tx.commit();
        return r[0].as<int>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("creating daily prediction partitions"));
    }
}

} // namespace mldeck
