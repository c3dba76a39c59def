#include "ui/settings/DriftReferenceChooser.h"

#include "core/stats/drift/DriftConfig.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QStackedWidget>

namespace mldeck::ui {

namespace {

QDateTimeEdit *utcEdit(QWidget *parent)
{
    auto *e = new QDateTimeEdit(parent);
    e->setTimeSpec(Qt::UTC);
    e->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"));
    e->setCalendarPopup(true);
    return e;
}

} // namespace

DriftReferenceChooser::DriftReferenceChooser(QWidget *parent)
    : QWidget(parent), m_kind(new QComboBox(this)), m_pages(new QStackedWidget(this)), m_rows(new QSpinBox),
      m_from(utcEdit(this)), m_to(utcEdit(this)), m_snapshot(new QComboBox), m_other(new QLabel)
{
    using Spec = drift::ReferenceSpec;
    m_kind->setObjectName(QStringLiteral("referenceKind"));
    m_kind->addItem(tr("First logged predictions"), FirstRows);
    m_kind->addItem(tr("A logged period"), Period);
    m_kind->addItem(tr("A stored snapshot"), Snapshot);
    m_kind->addItem(tr("The champion's training window"), Model);

    m_rows->setObjectName(QStringLiteral("referenceRows"));
    m_rows->setRange(int(Spec::kMinReferenceRows), int(Spec::kMaxReferenceRows));
    m_rows->setSingleStep(1000);
    m_rows->setGroupSeparatorShown(true);
    m_rows->setSuffix(tr(" predictions"));
    m_from->setObjectName(QStringLiteral("referenceFrom"));
    m_to->setObjectName(QStringLiteral("referenceTo"));
    m_snapshot->setObjectName(QStringLiteral("referenceSnapshot"));

    auto *period = new QWidget;
    auto *periodLayout = new QHBoxLayout(period);
    periodLayout->setContentsMargins(0, 0, 0, 0);
    periodLayout->addWidget(m_from);
    periodLayout->addWidget(new QLabel(tr("to")));
    periodLayout->addWidget(m_to);
    auto *model = new QLabel(tr("train_from to train_to of the champion model"));
    model->setEnabled(false);
    m_other->setEnabled(false);
    m_pages->addWidget(m_rows);
    m_pages->addWidget(period);
    m_pages->addWidget(m_snapshot);
    m_pages->addWidget(model);
    m_pages->addWidget(m_other);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_kind);
    layout->addWidget(m_pages, 1);
    // One line high: the form gives extra height to the feature table, not to this row.
    m_pages->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);

    connect(m_kind, &QComboBox::activated, this, [this] {
        showKind();
        Q_EMIT edited();
    });
    connect(m_rows, &QSpinBox::valueChanged, this, &DriftReferenceChooser::edited);
    connect(m_from, &QDateTimeEdit::dateTimeChanged, this, &DriftReferenceChooser::edited);
    connect(m_to, &QDateTimeEdit::dateTimeChanged, this, &DriftReferenceChooser::edited);
    connect(m_snapshot, &QComboBox::activated, this, &DriftReferenceChooser::edited);
    setSpec({});
}

void DriftReferenceChooser::setSnapshots(const QStringList &names)
{
    const QString current = m_snapshot->currentText();
    m_snapshot->clear();
    m_snapshot->addItems(names);
    m_snapshot->setCurrentText(current);
}

void DriftReferenceChooser::setSpec(const QString &spec)
{
    using K = drift::ReferenceSpec::Kind;
    const QSignalBlocker blockRows(m_rows), blockFrom(m_from), blockTo(m_to), blockSnapshot(m_snapshot);
    if (const int other = m_kind->findData(Other); other >= 0)
        m_kind->removeItem(other);
    m_otherSpec.clear();
    const auto parsed = drift::ReferenceSpec::parse(spec);
    const drift::ReferenceSpec r = parsed ? *parsed : drift::ReferenceSpec{};
    m_rows->setValue(int(drift::ReferenceSpec::kDefaultReferenceRows));
    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_from->setDateTime(now.addDays(-7));
    m_to->setDateTime(now);
    Kind kind = FirstRows;
    switch (r.kind) {
    case K::FirstRows:
        m_rows->setValue(int(r.rows));
        break;
    case K::Period:
        kind = Period;
        m_from->setDateTime(r.from);
        m_to->setDateTime(r.to);
        break;
    case K::Snapshot:
        kind = Snapshot;
        if (m_snapshot->findText(r.snapshot) < 0)
            m_snapshot->addItem(r.snapshot); // stored, though no longer listed: the check says so
        m_snapshot->setCurrentText(r.snapshot);
        break;
    case K::Model:
        kind = Model;
        break;
    case K::Auto:
    case K::First:
    case K::Previous:
        kind = Other;
        m_otherSpec = r.toString();
        m_kind->addItem(tr("As stored: %1").arg(m_otherSpec), Other);
        m_other->setText(m_otherSpec);
        break;
    }
    m_kind->setCurrentIndex(m_kind->findData(kind));
    showKind();
}

QString DriftReferenceChooser::spec() const
{
    switch (Kind(m_kind->currentData().toInt())) {
    case FirstRows:
        return drift::defaultReferenceSpec(m_rows->value());
    case Period:
        return QStringLiteral("period:%1/%2")
            .arg(m_from->dateTime().toUTC().toString(Qt::ISODate), m_to->dateTime().toUTC().toString(Qt::ISODate));
    case Snapshot:
        // No snapshot chosen is "snapshot:" with no name, which the reference parser refuses.
        return QStringLiteral("snapshot:") + m_snapshot->currentText();
    case Model:
        return QStringLiteral("model");
    case Other:
        return m_otherSpec;
    }
    return {};
}

void DriftReferenceChooser::showKind()
{
    m_pages->setCurrentIndex(m_kind->currentData().toInt());
}

} // namespace mldeck::ui
