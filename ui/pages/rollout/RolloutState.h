#pragma once

#include "core/domain/FlagState.h"

#include <QString>

namespace mldeck::ui {

// What the Rollout page knows of the selected deployment and which of its requests are in flight.
// Every answer clears its own flag; choosing another deployment starts from nothing known.
struct RolloutState
{
    QString deployment;     // the deployment shown ("" when none is)
    FlagState confirmed;    // the flags as last read back from Redis
    bool haveState = false; // confirmed belongs to this deployment
    bool connected = true;

    // In flight.
    bool applying = false;    // a flag edit
    bool rollingBack = false; // a rollback
    bool advancing = false;   // a plan step
    bool listing = false;     // the deployment list (one at a time: a frozen server must not pile them up)
    int whatIfWanted = -1;    // the percentage the preview should show (-1: none)
    int whatIfInFlight = -1;  // the percentage of the preview query running now (-1: none)

    bool selected() const { return !deployment.isEmpty(); }
    bool writing() const { return applying || rollingBack; }
    // The switches and the slider take input only on a known, existing state and no write pending.
    bool editable() const { return selected() && connected && haveState && confirmed.exists && !writing(); }
    bool planActionsAllowed() const { return selected() && connected && !writing() && !advancing; }

    void select(const QString &name)
    {
        deployment = name;
        confirmed = {};
        haveState = false;
        applying = rollingBack = advancing = false;
        whatIfWanted = -1;
    }
};

} // namespace mldeck::ui
