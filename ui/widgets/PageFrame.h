#pragma once

#include "ui/Pages.h"

#include <QWidget>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QPushButton;
class QVBoxLayout;

namespace mldeck::ui {

// The frame every page sits in: the page's title and one line of purpose, the bar (deployment
// selector, Refresh, and whatever controls the page adds), a rule, then the page's own body.
// Pages without a deployment (the audit log) leave the selector out.
class PageFrame final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PageFrame)

public:
    enum class Selector
    {
        None,
        Deployment
    };

    // Names the page (page_<key>) and fills it with a new frame.
    static PageFrame *install(QWidget *page, PageId id, const QString &purpose, Selector selector);

    PageFrame(PageId page, const QString &purpose, Selector selector, QWidget *parent);

    QComboBox *deploymentSelector() const { return m_deployment; } // null with Selector::None
    QPushButton *refreshButton() const { return m_refresh; }       // null with Selector::None
    QString title() const;

    // Shows names in the selector without emitting its change signals, and returns the one selected:
    // wanted (default: the one selected now) when listed, else the demo deployment, else the first
    // ("" when there is none). The items are rebuilt only when the list changed (pages list often).
    QString showDeployments(const QStringList &names, QString wanted = {});

    // Page controls: in the bar after Refresh (what is shown), or level with the title at its right
    // (what to do with it), which keeps the bar short enough for long translations.
    void addToBar(QWidget *widget, int stretch = 0);
    void addToHeader(QWidget *widget);
    // The page's body takes the space under the rule.
    void setBody(QWidget *body);
    // Who is connected and with which MLDeck role ("alice · operator"), next to the title; hidden when empty.
    void setRole(const QString &who, const QString &toolTip);
    QString role() const;

Q_SIGNALS:
    // "Manage…" next to the selector: the window opens the Deployments page on current.
    void manageDeploymentsRequested(const QString &current);

private:
    QLabel *m_title = nullptr;
    QLabel *m_role = nullptr;
    QHBoxLayout *m_header = nullptr;
    QComboBox *m_deployment = nullptr;
    QPushButton *m_refresh = nullptr;
    QHBoxLayout *m_bar = nullptr;
    int m_barEnd = 0; // where addToBar inserts: before the stretch
    QVBoxLayout *m_layout = nullptr;
};

} // namespace mldeck::ui
