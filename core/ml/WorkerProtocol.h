#pragma once

// The wire between the console (GUI, CLI, guard) and the model worker process: length-prefixed
// binary frames over a local socket, columnar payloads (one block of floats for a whole batch, never
// per-row text). Both sides link this file; neither the format nor the types involve torch.
// Described in resources/contract/models.md, "The model worker".

#include "core/domain/Result.h"
#include "core/ml/Dataset.h"
#include "core/ml/Trainer.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

namespace mldeck::worker {

enum class MessageType : quint8
{
    // console -> worker
    Load = 1,        // model bytes (already verified), path for messages, threads
    Predict = 2,     // n, width, sequence length, n * width floats (the encoded table)
    Train = 3,       // base model bytes, datasets, parameters, version, output path
    NannyTrain = 4,  // n, width, n * width floats, n targets, NannyTrainingParams (core/ml/Nanny.h)
    NannyScore = 5,  // nanny weights, threads, n, width, n * width floats
    TrainImages = 6, // base model bytes, image sets (store, keys, labels), parameters, augmentation, version, output

    // worker -> console
    Ready = 64,        // the worker started: pid
    Loaded = 65,       // has metadata, metadata JSON, name, output values per row
    Predictions = 66,  // values per row (columns), n * columns doubles (row-major)
    Progress = 67,     // training: fraction done
    Epoch = 68,        // training: one EpochReport
    Trained = 69,      // training: the final TrainingResult (TrainImages: then the skipped images and timings)
    Failed = 70,       // failure kind, message
    NannyTrained = 71, // the nanny's weights and training figures (NannyFit); scores come as Predictions
};

enum class FailureKind : quint8
{
    General = 0,     // the request failed; the worker is fine
    OutOfMemory = 1, // an allocation failed under the worker's memory limit
};

struct Message
{
    MessageType type{};
    QByteArray payload;
};

// A frame is: payload length (u32, little-endian, type byte included), type (u8), payload.
inline constexpr quint32 kMaxFrameBytes = 1u << 31; // 2 GiB: a batch far beyond any sane size
QByteArray encodeFrame(MessageType type, const QByteArray &payload);

// Accumulates bytes read from the socket and cuts them into frames.
class FrameBuffer final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::worker::FrameBuffer)

public:
    void append(const char *data, size_t size) { m_bytes.append(data, qsizetype(size)); }
    // The next complete frame, if any; an Error when the stream is corrupt.
    Result<std::optional<Message>> next();

private:
    QByteArray m_bytes;
};

// Appends values in the wire's fixed little-endian layout (the console and its worker share one machine
// and one build, so native float/double layout is fine; sizes are explicit).
class WireWriter final
{
public:
    explicit WireWriter(QByteArray &out) : m_out(out) {}
    void u8(quint8 v) { m_out.append(char(v)); }
    void u32(quint32 v) { raw(&v, sizeof v); }
    void i32(qint32 v) { raw(&v, sizeof v); }
    void i64(qint64 v) { raw(&v, sizeof v); }
    void f64(double v) { raw(&v, sizeof v); }
    void bytes(const QByteArray &v);
    void string(const QString &v) { bytes(v.toUtf8()); }
    void strings(const QStringList &v);
    void floats(const float *v, size_t n);
    void doubles(const double *v, size_t n);
    void int64s(const qint64 *v, size_t n);
    void int32s(const int *v, size_t n);

private:
    void raw(const void *p, size_t n) { m_out.append(static_cast<const char *>(p), qsizetype(n)); }
    template <typename T> void array(const T *v, size_t n)
    {
        i64(qint64(n));
        raw(v, n * sizeof(T));
    }
    QByteArray &m_out;
};

// Reads what WireWriter wrote. Reading past the end sets failed() and returns zeros/empties, so a
// message is decoded with plain calls and checked once at the end.
class WireReader final
{
public:
    explicit WireReader(const QByteArray &in) : m_in(in) {}
    quint8 u8();
    quint32 u32();
    qint32 i32();
    qint64 i64();
    double f64();
    QByteArray bytes();
    QString string() { return QString::fromUtf8(bytes()); }
    QStringList strings();
    std::vector<float> floats();
    std::vector<double> doubles();
    std::vector<qint64> int64s();
    std::vector<int> int32s();
    bool failed() const { return m_failed; }
    bool atEnd() const { return m_pos == size_t(m_in.size()); }

private:
    template <typename T> std::vector<T> array();
    bool take(void *out, size_t n);
    const char *view(size_t n); // n bytes at the cursor, or nullptr
    const QByteArray &m_in;
    size_t m_pos = 0;
    bool m_failed = false;
};

// Datasets travel column by column (training).
void writeDataset(WireWriter &w, const Dataset &data);
Dataset readDataset(WireReader &r);

// Training messages.
void writeEpochReport(WireWriter &w, const EpochReport &e);
EpochReport readEpochReport(WireReader &r);
// A Trained message's TrainingResult: its info travels as the metadata JSON and the SHA-256 only, left
// to the reader to parse (metadataJson, sha256 set).
void writeTrainingResult(WireWriter &w, const TrainingResult &result);
TrainingResult readTrainingResult(WireReader &r);

// Writes all of bytes to the socket (retrying short writes; never SIGPIPE). False when the peer is gone.
bool sendAll(int fd, const QByteArray &bytes);

// A Failed message's payload.
QByteArray failurePayload(FailureKind kind, const QString &message);

} // namespace mldeck::worker
