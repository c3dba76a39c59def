#include "ui/pages/dashboard/ClassificationDetail.h"

#include "core/domain/Figure.h"
#include "core/stats/Metrics.h"
#include "ui/Theme.h"
#include "ui/charts/ConfusionMatrixView.h"
#include "ui/charts/ReliabilityDiagram.h"
#include "ui/pages/dashboard/KpiTiles.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QSignalBlocker>
#include <QVBoxLayout>

#include <climits>

namespace mldeck::ui {

namespace {

const QString kAll = QStringLiteral("all");
const QString kPath = QStringLiteral("path:");
const QString kVersion = QStringLiteral("version:");

} // namespace

ClassificationDetail::ClassificationDetail(QWidget *parent)
    : QWidget(parent), m_scope(new QComboBox(this)), m_confusion(new ConfusionMatrixView(this)),
      m_reliability(new ReliabilityDiagram(this))
{
    m_scope->setObjectName(QStringLiteral("classificationScope"));
    m_confusion->setObjectName(QStringLiteral("confusionMatrix"));
    m_reliability->setObjectName(QStringLiteral("reliabilityDiagram"));
    m_confusion->setTitle(tr("Confusion matrix"));
    m_reliability->setTitle(tr("Reliability diagram"));
    m_confusion->setMinimumHeight(280);
    m_reliability->setMinimumHeight(280);

    auto *title = new QLabel(tr("Confusion and calibration over the range"), this);
    title->setObjectName(QStringLiteral("sectionTitle"));
    auto *bar = new QHBoxLayout;
    bar->addWidget(title);
    bar->addStretch(1);
    bar->addWidget(new QLabel(tr("For:"), this));
    bar->addWidget(m_scope);
    auto *views = new QHBoxLayout;
    views->setSpacing(8);
    views->addWidget(m_confusion, 1);
    views->addWidget(m_reliability, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addLayout(views);
    connect(m_scope, &QComboBox::currentIndexChanged, this, &ClassificationDetail::showScope);
}

QString ClassificationDetail::scope() const
{
    return m_scope->currentData().toString();
}

void ClassificationDetail::setScope(const QString &scope)
{
    const int i = m_scope->findData(scope);
    if (i >= 0)
        m_scope->setCurrentIndex(i);
}

void ClassificationDetail::clear()
{
    m_snapshot.reset();
    const QSignalBlocker block(m_scope);
    m_scope->clear();
    m_confusion->clear();
    m_reliability->clear();
}

void ClassificationDetail::showSnapshot(const KpiSnapshot &s)
{
    const QString keep = scope();
    m_snapshot = s;
    {
        const QSignalBlocker block(m_scope);
        m_scope->clear();
        m_scope->addItem(tr("All paths"), kAll);
        const QList<std::pair<QString, QString>> paths = {{QStringLiteral("ml"), tr("ML")},
                                                          {QStringLiteral("heuristic"), tr("Heuristic")},
                                                          {QStringLiteral("fallback"), tr("Fallback")}};
        for (const auto &[key, name] : paths)
            if (s.classSumsByPath.value(key).counted() > 0)
                m_scope->addItem(tr("Path: %1").arg(name), QString(kPath + key));
        for (auto it = s.classSumsByVersion.cbegin(); it != s.classSumsByVersion.cend(); ++it)
            if (it.value().counted() > 0)
                m_scope->addItem(tr("Model version: %1").arg(it.key().isEmpty() ? tr("(none)") : it.key()),
                                 QString(kVersion + it.key()));
        const int i = m_scope->findData(keep);
        m_scope->setCurrentIndex(i >= 0 ? i : 0);
    }
    showScope();
}

void ClassificationDetail::showScope()
{
    if (!m_snapshot)
        return;
    const KpiSnapshot &s = *m_snapshot;
    const QString key = scope();
    stats::ClassificationSums sums = s.classSums;
    QColor colour = pathColor(QString());
    if (key.startsWith(kPath)) {
        sums = s.classSumsByPath.value(key.mid(kPath.size()));
        colour = pathColor(key.mid(kPath.size()));
    } else if (key.startsWith(kVersion)) {
        sums = s.classSumsByVersion.value(key.mid(kVersion.size()));
        colour = themeColor(Palette::Ml);
    }

    m_confusion->setMatrix(s.classSpec.classes, sums.confusion);

    m_reliability->clear();
    QList<ReliabilityDiagram::Point> points;
    for (const stats::ReliabilityBin &b : stats::reliabilityDiagram(sums))
        points.append({b.meanScore, b.observed, b.rows});
    const bool binary = s.classSpec.isBinary();
    m_reliability->setAxisTitles(binary ? tr("Predicted P(%1)").arg(s.classSpec.classes.value(1))
                                        : tr("Confidence (probability of the class served)"),
                                 binary ? tr("Share %1").arg(s.classSpec.classes.value(1)) : tr("Share right"));
    if (points.isEmpty())
        return; // the caption says "no data"
    m_reliability->setCurve(m_scope->currentText(), points, colour);
    const stats::ClassificationFigures f = stats::computeClassificationFigures(sums, s.calibration);
    const auto ratio = [](double v) { return KpiTiles::formatRatio(v); };
    m_reliability->setCaption(
        tr("ECE %1 · log-loss %2 · Brier %3 · %n labelled predictions", nullptr,
           int(std::min<qint64>(sums.labelled(), INT_MAX)))
            .arg(figureText(f.ece, KpiTiles::formatShare), figureText(f.logLoss, ratio), figureText(f.brier, ratio)));
}

} // namespace mldeck::ui
