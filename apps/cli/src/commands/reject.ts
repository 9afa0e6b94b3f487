import { reject } from "./decide.js";

export default reject;
