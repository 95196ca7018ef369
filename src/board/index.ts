// The board's public face: what the rest of promobot (the worker, the CLI, the tests) uses of it.
export { type AccessRequest, createAccessCheck } from './access.js';
export { AppBoard, Promotion } from './schema.js';
export { type BoardStore, createBoardStore, roundPoint } from './board-store.js';
export { type DescribeInput, describePromotion } from './describe-promotion.js';
export { boardTransitions } from './board-transitions.js';
export { createBoardPublisher } from './board-publisher.js';
export { namedBoards, openPromotionFigures } from './board-figures.js';
export { renderStatus } from './render-status.js';
export { startBoard } from './start-board.js';
