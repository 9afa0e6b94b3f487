import { approve } from "./decide.js";

export default approve;
