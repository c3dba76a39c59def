#include "core/ml/WorkerProtocol.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <sys/socket.h>

namespace mldeck::worker {

QByteArray encodeFrame(MessageType type, const QByteArray &payload)
{
    QByteArray frame;
    frame.reserve(payload.size() + 5);
    WireWriter w(frame);
    w.u32(quint32(payload.size()) + 1);
    w.u8(quint8(type));
    frame.append(payload);
    return frame;
}

Result<std::optional<Message>> FrameBuffer::next()
{
    if (m_bytes.size() < 4)
        return std::optional<Message>{};
    quint32 length = 0;
    std::memcpy(&length, m_bytes.constData(), 4);
    if (length == 0 || length > kMaxFrameBytes)
        return Error{tr("The model worker sent a malformed message (length %1).").arg(length)};
    if (quint64(m_bytes.size()) < 4 + quint64(length))
        return std::optional<Message>{};
    Message m;
    m.type = MessageType(quint8(m_bytes.at(4)));
    m.payload = m_bytes.mid(5, qsizetype(length) - 1);
    m_bytes.remove(0, qsizetype(length) + 4);
    return std::optional<Message>{std::move(m)};
}

void WireWriter::bytes(const QByteArray &v)
{
    u32(quint32(v.size()));
    m_out.append(v);
}

void WireWriter::strings(const QStringList &v)
{
    u32(quint32(v.size()));
    for (const QString &s : v)
        string(s);
}

void WireWriter::floats(const float *v, size_t n)
{
    array(v, n);
}

void WireWriter::doubles(const double *v, size_t n)
{
    array(v, n);
}

void WireWriter::int64s(const qint64 *v, size_t n)
{
    array(v, n);
}

void WireWriter::int32s(const int *v, size_t n)
{
    array(v, n);
}

const char *WireReader::view(size_t n)
{
    if (m_failed || n > size_t(m_in.size()) - m_pos) {
        m_failed = true;
        return nullptr;
    }
    const char *p = m_in.constData() + m_pos;
    m_pos += n;
    return p;
}

bool WireReader::take(void *out, size_t n)
{
    const char *p = view(n);
    if (!p) {
        std::memset(out, 0, n);
        return false;
    }
    std::memcpy(out, p, n);
    return true;
}

quint8 WireReader::u8()
{
    quint8 v;
    take(&v, sizeof v);
    return v;
}

quint32 WireReader::u32()
{
    quint32 v;
    take(&v, sizeof v);
    return v;
}

qint32 WireReader::i32()
{
    qint32 v;
    take(&v, sizeof v);
    return v;
}

qint64 WireReader::i64()
{
    qint64 v;
    take(&v, sizeof v);
    return v;
}

double WireReader::f64()
{
    double v;
    take(&v, sizeof v);
    return v;
}

QByteArray WireReader::bytes()
{
    const quint32 n = u32();
    const char *p = view(n);
    return p ? QByteArray(p, qsizetype(n)) : QByteArray();
}

template <typename T> std::vector<T> WireReader::array()
{
    const qint64 n = i64();
    const char *p = n >= 0 && quint64(n) <= quint64(m_in.size()) ? view(size_t(n) * sizeof(T)) : nullptr;
    if (!p) {
        m_failed = true;
        return {};
    }
    std::vector<T> out(static_cast<size_t>(n));
    if (n > 0) // an empty vector's data() may be null, which memcpy must never get (even for 0 bytes)
        std::memcpy(out.data(), p, size_t(n) * sizeof(T));
    return out;
}

QStringList WireReader::strings()
{
    const quint32 n = u32();
    QStringList out;
    for (quint32 i = 0; i < n && !m_failed; ++i)
        out.append(string());
    return out;
}

std::vector<float> WireReader::floats()
{
    return array<float>();
}

std::vector<double> WireReader::doubles()
{
    return array<double>();
}

std::vector<qint64> WireReader::int64s()
{
    return array<qint64>();
}

std::vector<int> WireReader::int32s()
{
    return array<int>();
}

void writeDataset(WireWriter &w, const Dataset &data)
{
    w.string(data.source);
    w.strings(data.header);
    w.doubles(data.target.data(), data.target.size());
    w.u32(quint32(data.numeric.size()));
    for (auto it = data.numeric.cbegin(); it != data.numeric.cend(); ++it) {
        w.string(it.key());
        w.floats(it.value().data(), it.value().size());
    }
    w.u32(quint32(data.categorical.size()));
    for (auto it = data.categorical.cbegin(); it != data.categorical.cend(); ++it) {
        w.string(it.key());
        w.int32s(it.value().codes.data(), it.value().codes.size());
        w.strings(it.value().levels);
    }
    w.int64s(data.tsMicros.data(), data.tsMicros.size());
    w.strings(data.notes);
}

Dataset readDataset(WireReader &r)
{
    Dataset data;
    data.source = r.string();
    data.header = r.strings();
    data.target = r.doubles();
    const quint32 numeric = r.u32();
    for (quint32 i = 0; i < numeric && !r.failed(); ++i) {
        const QString name = r.string();
        data.numeric.insert(name, r.floats());
    }
    const quint32 categorical = r.u32();
    for (quint32 i = 0; i < categorical && !r.failed(); ++i) {
        const QString name = r.string();
        CategoricalColumn column;
        column.codes = r.int32s();
        column.levels = r.strings();
        data.categorical.insert(name, std::move(column));
    }
    const std::vector<qint64> ts = r.int64s();
    data.tsMicros.assign(ts.begin(), ts.end());
    data.notes = r.strings();
    return data;
}

void writeEpochReport(WireWriter &w, const EpochReport &e)
{
    w.i32(e.epoch);
    w.i32(e.epochs);
    for (double v : {e.trainLoss, e.validationLoss, e.validationMae, e.learningRate, e.elapsedSeconds, e.secondsLeft,
                     e.samplesPerSecond})
        w.f64(v);
    w.f64(e.validationAccuracy.value_or(std::numeric_limits<double>::quiet_NaN())); // NaN: not a classifier
}

EpochReport readEpochReport(WireReader &r)
{
    EpochReport e;
    e.epoch = r.i32();
    e.epochs = r.i32();
    for (double *v : {&e.trainLoss, &e.validationLoss, &e.validationMae, &e.learningRate, &e.elapsedSeconds,
                      &e.secondsLeft, &e.samplesPerSecond})
        *v = r.f64();
    if (const double accuracy = r.f64(); !std::isnan(accuracy))
        e.validationAccuracy = accuracy;
    return e;
}

void writeTrainingResult(WireWriter &w, const TrainingResult &result)
{
    w.u8(result.cancelled ? 1 : 0);
    w.u32(quint32(result.history.size()));
    for (const EpochReport &e : result.history)
        writeEpochReport(w, e);
    w.i32(result.bestEpoch);
    w.f64(result.samplesPerSecond);
    w.bytes(result.info.metadataJson);
    w.bytes(result.info.sha256);
}

TrainingResult readTrainingResult(WireReader &r)
{
    TrainingResult result;
    result.cancelled = r.u8() != 0;
    const quint32 epochs = r.u32();
    for (quint32 i = 0; i < epochs && !r.failed(); ++i)
        result.history.push_back(readEpochReport(r));
    result.bestEpoch = r.i32();
    result.samplesPerSecond = r.f64();
    result.info.metadataJson = r.bytes();
    result.info.sha256 = r.bytes();
    return result;
}

bool sendAll(int fd, const QByteArray &bytes)
{
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += n;
    }
    return true;
}

QByteArray failurePayload(FailureKind kind, const QString &message)
{
    QByteArray out;
    WireWriter w(out);
    w.u8(quint8(kind));
    w.string(message);
    return out;
}

} // namespace mldeck::worker
