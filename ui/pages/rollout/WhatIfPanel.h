#pragma once

#include <QGroupBox>

class QLabel;
class QProgressBar;

namespace mldeck {
struct WhatIf;
}

namespace mldeck::ui {

// "What if traffic were N %": from the request keys logged in the last 24 h, the share that would
// be routed to ML, how many keys would switch side, and the MAE projected from logged results.
class WhatIfPanel final : public QGroupBox
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WhatIfPanel)

public:
    explicit WhatIfPanel(QWidget *parent = nullptr);

    void showPending(int percentage);
    void showWhatIf(const WhatIf &whatIf);
    void showError(const QString &message);
    void clear(const QString &why);

    QString summary() const; // the main line, for tests and screen readers

private:
    QLabel *m_title = nullptr;
    QLabel *m_share = nullptr;
    QProgressBar *m_bar = nullptr;
    QLabel *m_keys = nullptr;
    QLabel *m_switching = nullptr;
    QLabel *m_mae = nullptr;
};

} // namespace mldeck::ui
