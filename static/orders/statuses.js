/*
 * Order statuses and their allowed moves, as the server renders them into the
 * page (`{{ workflow|json_script:"order-statuses" }}`, from orders/workflow.py,
 * which reads the rule in orders/services.py). Pages keep no copy of their own.
 */
var data = JSON.parse(document.getElementById("order-statuses").textContent);

function has(list, status) { return list.indexOf(status) !== -1; }

/* The status a cancelled order has. */
export var cancelled = data.cancelled;
/* Statuses of orders not finished yet, in order (PENDING, MAKING, READY). */
export var open = data.open;
/* The customer's steps: [{status, label}] along the one-tap moves. */
export var steps = data.steps;

/* The one-tap move from a status: {status, label}, or null. */
export function nextMove(status) { return data.moves[status] || null; }
/* Being made: may still be cancelled. */
export function inProgress(status) { return has(data.cancellable, status); }
/* Made and waiting for pickup: open, no longer cancellable. */
export function awaitingPickup(status) { return has(data.open, status) && !has(data.cancellable, status); }
/* Finished: no move left. */
export function isDone(status) { return has(data.statuses, status) && !has(data.open, status); }
